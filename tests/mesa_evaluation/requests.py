"""Small evaluation requests shared by the tests of tests/mesa_evaluation/."""

from __future__ import annotations

#: Three methods × two ensemble sizes on the toy set, two splits: seconds to run.
TINY = {
    "experiment": "eil",
    "datasets": ("toy-less",),
    "runs": 2,
    "ks": (2, 3),
    "methods": ("mesa", "spe", "underbagging"),
    "metrics": ("aucprc", "rocauc", "gmean"),
}
#: Three splits of two baselines: for the tests of what is kept when a run fails.
SMALL = {**TINY, "runs": 3, "ks": (2,), "methods": ("spe", "underbagging")}
