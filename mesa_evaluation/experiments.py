"""Which paper result (or study) needs which methods, ensemble sizes, noise levels and learners.

One table, :data:`EXPERIMENTS`, read by the protocol (what to run), the report (how to lay out
its tables) and the command line (``--experiment`` choices), so none of them imports another
for it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

__all__ = ["EXPERIMENTS", "PRACTITIONER", "REFERENCE_METHODS", "Experiment"]


@dataclass(frozen=True)
class Experiment:
    """Which methods, ensemble sizes, noise levels and base learners one paper result needs."""

    name: str
    description: str
    methods: tuple[str, ...]
    column: str  # what varies across the table's columns: "k", "noise" or "learner"
    ks: tuple[int, ...] = (10,)
    noises: tuple[float, ...] = (0.0,)
    learners: tuple[str, ...] = ("dt",)
    split: str = "60/20/20"
    metrics: tuple[str, ...] = ("aucprc",)


_EIL = ("mesa", "rusboost", "underbagging", "spe", "cascade")
_RESAMPLE = ("none", "randomundersampler", "nearmiss", "neighbourhoodcleaningrule",
             "editednearestneighbours", "tomeklinks", "allknn", "onesidedselection",
             "randomoversampler", "smote", "adasyn", "borderlinesmote", "smoteenn",
             "smotetomek", "mesa")  # fmt: skip
#: What a new sampler must beat on a suite: non-learned samplers and the under-sampling
#: ensembles; learned samplers join as ``sampler:<file>`` (``--samplers``).
REFERENCE_METHODS = (
    "random-mu", "constant-0.0", "constant-0.25", "constant-0.5", "constant-0.75",
    "constant-1.0", "tuned-constant", "tuned-schedule", "spe", "cascade", "underbagging",
    "rusboost",
)  # fmt: skip
_LIGHTGBM = importlib.util.find_spec("lightgbm") is not None  # the `practitioner` extra
#: MESA with the shipped learned sampler (``mesa``: k = 10 trees, the paper's configuration),
#: refitted on train + validation, with extra-trees members (the learned sampler, 50 members,
#: and ``constant1-et`` = ``MesaClassifier()``'s defaults), against what practitioners use on
#: imbalanced data. ``mesa-hgb``/``mesa-lgbm`` exist but are left out: gradient boosting's
#: default minimum leaf size (20) makes it constant on the 2|P|-row subsets of small tasks
#: (0.337 mean AUCPRC on keel-train, README).
PRACTITIONER = (
    "mesa", "mesa-dt-refit", "mesa-et", "mesa-et-50", "constant1-et", "brf",
    "easyensemble-10x10", "hgb", "hgb-balanced", *(("lightgbm-spw",) if _LIGHTGBM else ()),
)  # fmt: skip
EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment("eil", "Table 3: under-sampling ensembles", _EIL, "k", ks=(5, 10, 20)),
        Experiment(
            "oversampling",
            "Fig. 4: over-sampling ensembles vs training instances used",
            ("mesa", "smoteboost", "smotebagging", "ramoboost"),
            "k",
            ks=(5, 10, 20),
        ),
        Experiment(
            "resampling",
            "Table 2: resamplers × base learners vs MESA (k = 10)",
            _RESAMPLE,
            "learner",
            learners=("knn", "gnb", "dt", "adaboost", "gbm"),
        ),
        Experiment("noise", "Table 5: label noise", _EIL, "noise", noises=(0.0, 0.1, 0.25, 0.4)),
        Experiment(
            "ablation",
            "Table 6 (+ reference policies): learned vs random policy vs random under-sampling",
            (
                "mesa",
                "mesa-random-policy",
                "underbagging",
                "tuned-constant",
                "tuned-schedule",
                "constant-0.0",
                "constant-0.25",
                "constant-0.5",
                "constant-0.75",
                "constant-1.0",
                "random-mu",
            ),
            "noise",
            noises=(0.0, 0.1, 0.25, 0.4),
        ),
        Experiment(
            "transfer",
            "Table 4: samplers meta-trained on the target, its 50 %/10 % subsets, other tasks",
            ("mesa@self", "mesa@50%", "mesa@10%"),
            "k",
        ),
        Experiment(
            "bcwf",
            "Zhao et al. 2023 setup: 85/15 splits, hard-label AUC, F1, G-mean, ROC-AUC",
            (
                "adaboost150",
                "bagging150",
                "rusboost-15x10",
                "easyensemble-15x10",
                "spe-15x10",
                "mesa",
                "hem-adaboost",
                "bcwf-h",
                "bcwf-s",
            ),
            "k",
            split="85/15",
            metrics=("balanced_accuracy", "f1", "gmean", "rocauc"),
        ),
        Experiment(
            "reference",
            "Reference scores on a task suite (docs/reference-scores.md): IQM, mean, mean rank",
            REFERENCE_METHODS,
            "k",
        ),
        Experiment(
            "practitioner",
            "MESA vs balanced random forest, EasyEnsemble, (class-weighted) gradient boosting; "
            "their methods fit on train + validation; AUCPRC, ROC-AUC and fit seconds",
            PRACTITIONER,
            "k",
            metrics=("aucprc", "rocauc"),
        ),
    )
}
