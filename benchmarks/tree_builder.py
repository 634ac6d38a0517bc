"""How fast is a ``Mesa-v0`` step's tree fit, three ways that grow the same tree?

Run as ``python benchmarks/tree_builder.py``.

The env's members are ``DecisionTreeClassifier()`` fitted on a balanced subset: every minority
row of the training split plus as many majority rows. This script records the subsets a short
run of the env draws (random μ), then fits each of them, interleaved, with

- ``fit``: ``DecisionTreeClassifier(random_state=s).fit(X, y, check_input=False)``;
- ``sklearn builder``: :class:`~mesa_env.tree_refit.TreeRefitter` with ``presorted=False``,
  scikit-learn's own Cython builder without ``fit``'s per-call Python;
- ``presorted``: ``TreeRefitter`` with the compiled ``mesa_env._tree_builder`` (what the env
  uses where it is installed),

checks that the three trees are byte for byte the same, and prints the median milliseconds per
fit. Nothing here asserts a time: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from mesa_env import MesaEnv
from mesa_env.tree_refit import TreeRefitter, _fitted_state

DATASETS = ("digits", "mammography-like")


def _dataset(name: str) -> Any:
    if name != "mammography-like":
        return name
    from sklearn.datasets import make_classification

    # The shape of the paper's Mammography set: 11,183 rows, 6 features, IR ≈ 42.
    return make_classification(
        n_samples=11183, n_features=6, n_informative=4, weights=[42 / 43], random_state=0
    )


def subsets(dataset: Any, n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """``n`` (rows, labels, member seed) the env fits, from episodes with random μ."""
    env = MesaEnv(dataset=dataset)
    recorded: list[tuple[np.ndarray, np.ndarray, int]] = []
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    while len(recorded) < n:
        ensemble = env.ensemble  # a new one each episode: wrap its fit_member for this step
        original = ensemble.fit_member

        def record(X: np.ndarray, y: np.ndarray, member_seed: int, fit: Any = original) -> Any:
            recorded.append((np.ascontiguousarray(X, np.float32), np.asarray(y), member_seed))
            return fit(X, y, member_seed)

        ensemble.fit_member = record
        _, _, terminated, _, _ = env.step(rng.uniform(0.0, 1.0, 1).astype(np.float32))
        if terminated:
            env.reset()
    return recorded[:n]


def time_fits(dataset: Any, n: int) -> dict[str, float]:
    """Median ms per fit of each way, over ``n`` recorded subsets; checks the trees agree."""
    cases = subsets(dataset, n)
    X0, y0, _ = cases[0]
    template = DecisionTreeClassifier(random_state=0).fit(X0, y0, check_input=False)
    ways = {
        "fit": None,
        "sklearn builder": TreeRefitter(template, presorted=False),
        "presorted": TreeRefitter(template, presorted=True),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for i, (X, y, seed) in enumerate(cases):
        trees = {}
        order = list(ways) if i % 2 == 0 else list(reversed(ways))  # alternate who goes first
        for name in order:
            member = DecisionTreeClassifier(random_state=seed)
            refitter = ways[name]
            start = time.perf_counter()
            if refitter is None:
                member.fit(X, y, check_input=False)
            else:
                refitter.fit(member, X, y)
            times[name].append(time.perf_counter() - start)
            trees[name] = _fitted_state(member)
        if len(set(trees.values())) != 1:
            raise AssertionError(f"subset {i}: the three ways grew different trees")
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> None:
    """Print the median fit time of each way per dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--fits", type=int, default=400, help="subsets per dataset")
    args = parser.parse_args(argv)
    print("| dataset | subset rows × features | fit ms | sklearn builder ms | presorted ms |")
    print("|---|---|---|---|---|")
    for name in args.datasets:
        data = _dataset(name)
        medians = time_fits(data, args.fits)
        X, _, _ = subsets(data, 1)[0]
        print(
            f"| {name} | {X.shape[0]} × {X.shape[1]} | {medians['fit']:.3f} | "
            f"{medians['sklearn builder']:.3f} | {medians['presorted']:.3f} |"
        )


if __name__ == "__main__":
    main()
