"""Datasets and the paper's class-wise train/validation/test split.

Everything the environment learns from arrives here first and leaves as a :class:`Task`: float64
features and 0/1 labels with the minority class as 1 (the paper's convention, §3), split
class-wise 60/20/20 so every split keeps the imbalance ratio (App. B). Bad input is refused here,
at the boundary, with a message that says what to change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from mesa_env.binary import minority_as_one, minority_index

__all__ = [
    "DATASET_NAMES",
    "IMBLEARN_DATASETS",
    "Task",
    "add_label_noise",
    "binarize_labels",
    "check_X_y",
    "load_dataset",
    "make_task",
    "split_classwise",
    "subsample_classwise",
]

#: The 27 benchmark sets of ``imblearn.datasets.fetch_datasets`` (Zenodo record 61452).
IMBLEARN_DATASETS: tuple[str, ...] = (
    "ecoli", "optical_digits", "satimage", "pen_digits", "abalone", "sick_euthyroid",
    "spectrometer", "car_eval_34", "isolet", "us_crime", "yeast_ml8", "scene", "libras_move",
    "thyroid_sick", "coil_2000", "arrhythmia", "solar_flare_m0", "oil", "car_eval_4",
    "wine_quality", "letter_img", "yeast_me2", "webpage", "ozone_level", "mammography",
    "protein_homo", "abalone_19",
)  # fmt: skip

#: Sets that need no download: sklearn's bundled digits and breast cancer, and the paper's toys.
OFFLINE_DATASETS: tuple[str, ...] = (
    "digits",
    *(f"digits-{d}" for d in range(10)),
    "breast_cancer",
    "toy-less",
    "toy-mid",
    "toy-highly",
)
DATASET_NAMES: tuple[str, ...] = OFFLINE_DATASETS + IMBLEARN_DATASETS

#: Class-overlap scale of the three toy sets (paper Fig. 3: less / mid / highly overlapped).
_TOY_OVERLAP = {"toy-less": 0.10, "toy-mid": 0.25, "toy-highly": 0.45}
MIN_MINORITY = 5  # one minority example per split at least, and a few to train on


@dataclass
class Task:
    """One imbalanced binary problem, split for MESA: labels 0/1 with 1 the minority class.

    ``X_test``/``y_test`` are ``None`` when no test split exists. ``classes`` holds the original
    labels as ``(majority, minority)`` so predictions can be mapped back.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    classes: tuple[Any, Any] = (0, 1)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_minority(self) -> int:
        """Minority examples in the training split, |P| of Algorithm 1."""
        return int(np.count_nonzero(self.y_train))

    @cached_property
    def minority_index(self) -> np.ndarray:
        """Positions of the training minority examples (P)."""
        return np.flatnonzero(self.y_train == 1)

    @cached_property
    def majority_index(self) -> np.ndarray:
        """Positions of the training majority examples (N)."""
        return np.flatnonzero(self.y_train == 0)

    @cached_property
    def X_eval(self) -> np.ndarray:
        """Train, valid and test rows stacked, so one ``predict_proba`` call covers them all."""
        parts = [self.X_train, self.X_valid] + ([] if self.X_test is None else [self.X_test])
        return np.ascontiguousarray(np.vstack(parts))

    @cached_property
    def X_eval_float32(self) -> np.ndarray:
        """:attr:`X_eval` as C-contiguous float32: what scikit-learn's trees compute on.

        Cast once per task rather than once per episode (~0.2 ms on an 11,000-row task).
        """
        return np.ascontiguousarray(self.X_eval, np.float32)

    @cached_property
    def eval_slices(self) -> dict[str, slice]:
        """Where each split's rows sit in :attr:`X_eval`."""
        n_tr, n_va = self.y_train.size, self.y_valid.size
        slices = {"train": slice(0, n_tr), "valid": slice(n_tr, n_tr + n_va)}
        if self.y_test is not None:
            slices["test"] = slice(n_tr + n_va, n_tr + n_va + self.y_test.size)
        return slices


# --------------------------------------------------------------------------- input checks
def _as_2d_float(X: Any, what: str = "X") -> np.ndarray:
    if type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{what} is a scipy sparse matrix ({type(X).__name__}); the environment works on "
            f"dense features (every split is stacked for one predict_proba): pass {what}.toarray()"
        )
    if hasattr(X, "to_numpy"):  # pandas DataFrame / Series
        X = X.to_numpy()
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what} must be numeric (encode categorical columns first); converting failed: {exc}"
        ) from None
    if arr.ndim != 2:
        raise ValueError(f"{what} must be 2-D (n_samples, n_features); got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{what} is empty: shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        raise ValueError(
            f"{what} contains NaN or inf in {bad} row(s); impute or drop them before passing it in"
        )
    return arr


def _as_1d(y: Any, what: str = "y") -> np.ndarray:
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D; got shape {arr.shape}")
    return arr


def check_X_y(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate features and labels: 2-D finite numeric X, 1-D y of the same length."""
    X_arr = _as_2d_float(X)
    y_arr = _as_1d(y)
    if X_arr.shape[0] != y_arr.shape[0]:
        raise ValueError(
            f"X and y have different lengths: {X_arr.shape[0]} rows vs {y_arr.shape[0]} labels"
        )
    return X_arr, y_arr


def binarize_labels(y: np.ndarray) -> tuple[np.ndarray, tuple[Any, Any]]:
    """Map any two labels to 0/1 with the minority class as 1 (paper §3 notation).

    Works for 0/1, −1/1, strings, booleans. With equal counts the larger label is positive.
    The checked front of :func:`mesa_env.binary.minority_as_one`, the one implementation.
    Returns the 0/1 labels and the original ``(majority, minority)`` labels.
    """
    try:
        labels, counts = np.unique(y, return_counts=True)
    except TypeError:
        raise TypeError(
            "y mixes label types that cannot be compared (e.g. None among strings); "
            "drop or encode the missing labels"
        ) from None
    if labels.size < 2:
        raise ValueError(
            f"y holds a single class ({labels.tolist()}); MESA needs a binary imbalanced problem"
        )
    if labels.size > 2:
        raise ValueError(
            f"y holds {labels.size} classes ({labels[:10].tolist()}); MESA is binary: "
            "map your labels to minority-vs-rest first"
        )
    minority, is_minority = minority_as_one(y, labels, counts)
    majority = labels[1 - minority_index(counts)]
    return is_minority.astype(np.int64), (_plain(majority), _plain(minority))


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (JSON- and pickle-friendly); others unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _check_minority(y01: np.ndarray, needed: int, what: str) -> None:
    n_pos = int(y01.sum())
    if n_pos < needed:
        raise ValueError(
            f"{what} has only {n_pos} minority example(s); at least {needed} are needed so that "
            "every split (train/valid/test) keeps one"
        )


# --------------------------------------------------------------------------- loaders
def _load_digits(target: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data.astype(np.float64), (data.target == target).astype(np.int64)


def make_toy(name: str, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The paper's Fig. 3 toy sets: 2,000 majority on a "∩"-shaped arc, 200 minority beneath it.

    The minority cloud sits inside the arch; the overlap scale (``_TOY_OVERLAP``) widens both
    classes so they overlap little, moderately or heavily. Fixed seed: a toy set is one dataset.
    """
    rng = np.random.default_rng(random_state)
    scale = _TOY_OVERLAP[name]
    angle = rng.uniform(0.0, np.pi, 2000)
    majority = np.c_[np.cos(angle), np.sin(angle)] + rng.normal(0.0, scale, (2000, 2))
    minority = rng.normal([0.0, 0.35], [0.25 + scale / 2, 0.12 + scale / 2], (200, 2))
    X = np.vstack([majority, minority])
    y = np.r_[np.zeros(2000, np.int64), np.ones(200, np.int64)]
    return X, y


def _fetch_imblearn(name: str) -> tuple[np.ndarray, np.ndarray]:
    from imblearn.datasets import fetch_datasets
    from sklearn.datasets import get_data_home

    try:
        bunch = fetch_datasets(filter_data=(name,), download_if_missing=False)[name]
    except OSError:
        cache = Path(get_data_home()) / "zenodo"
        try:
            bunch = fetch_datasets(filter_data=(name,), download_if_missing=True)[name]
        except OSError as exc:  # URLError is an OSError: no network
            raise OSError(
                f"dataset {name!r} is not in imbalanced-learn's cache ({cache}) and downloading it "
                f"failed ({exc}). Run once with internet access, copy the cache there, or use an "
                f"offline dataset: {', '.join(OFFLINE_DATASETS)}"
            ) from None
    return bunch.data.astype(np.float64), bunch.target


#: Delimiters a CSV file may use; the first line(s) decide which (``csv.Sniffer``).
CSV_DELIMITERS = ",;\t|"
_CSV_SAMPLE_BYTES = 64 * 1024


def _check_csv_path(path: Path) -> None:
    """A clear error for a path that is not a readable file."""
    if path.is_dir():
        raise IsADirectoryError(f"dataset path {str(path)!r} is a directory, not a CSV file")
    if not path.is_file():
        raise FileNotFoundError(f"dataset file {str(path)!r} does not exist")


def _csv_layout(path: Path) -> tuple[str, bool]:
    """``(delimiter, has_header)`` of a CSV file, from its first 64 KiB.

    The delimiter is sniffed among ``CSV_DELIMITERS`` (``","`` when undecidable). The first row
    is a header unless every field of it parses as a number: then it is data, except when it is
    exactly ``0, 1, …, n−1`` (the column names ``pandas.DataFrame(X).to_csv()`` writes).
    Binary content (NUL bytes, not UTF-8) is refused with a ``ValueError``.
    """
    import codecs
    import csv

    with path.open("rb") as handle:
        raw = handle.read(_CSV_SAMPLE_BYTES)
        truncated = bool(handle.read(1))
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=not truncated)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise ValueError(
            f"dataset file {str(path)!r} is not a UTF-8 text CSV file (binary content); "
            "export it as CSV (features and a label column)"
        )
    lines = [line for line in text.splitlines() if line.strip()]
    if truncated and len(lines) > 1:
        lines = lines[:-1]  # the sample may end inside a line
    if not lines:
        raise ValueError(f"dataset file {str(path)!r} is empty")
    sample = "\n".join(lines[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    first = next(csv.reader([lines[0]], delimiter=delimiter))
    numeric = all(_is_number(field) for field in first)
    default_names = [field.strip() for field in first] == [str(i) for i in range(len(first))]
    return delimiter, not numeric or default_names


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _load_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of a CSV file: label column ``label`` if present, else the last.

    See :func:`_csv_layout` for the delimiter and the header row; a file without a header row
    (its first row all numbers) is read whole, its last column being the label.
    """
    import pandas as pd

    _check_csv_path(path)
    delimiter, has_header = _csv_layout(path)
    try:
        frame = pd.read_csv(path, sep=delimiter, header=0 if has_header else None)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(
            f"could not read dataset file {str(path)!r} as a {delimiter!r}-separated CSV: {exc}"
        ) from None
    if frame.shape[1] < 2:
        raise ValueError(
            f"dataset file {str(path)!r} has {frame.shape[1]} column(s) with delimiter "
            f"{delimiter!r}; it needs feature columns and a label column, separated by one of "
            f"{list(CSV_DELIMITERS)}"
        )
    label = "label" if "label" in frame.columns else frame.columns[-1]
    return _as_2d_float(frame.drop(columns=[label]), f"features of {path}"), frame[label].to_numpy()


def load_dataset(source: Any) -> tuple[np.ndarray, np.ndarray, str]:
    """Load ``(X, y, name)`` from a dataset name, a CSV path, or an ``(X, y)`` pair.

    Names: ``"digits"`` (sklearn's bundled digits, 8 vs rest, IR ≈ 9), ``"digits-0"`` …
    ``"digits-9"`` (one digit vs rest), ``"breast_cancer"`` (UCI wdbc, malignant vs benign),
    ``"toy-less"``/``"toy-mid"``/``"toy-highly"`` (paper Fig. 3), and the 27 names of
    imbalanced-learn's ``fetch_datasets`` (cache first, then download), and ``"keel:<name>"``
    (the 100 KEEL sets, ``mesa_env.list_keel_datasets()``; ``docs/keel.md``). A CSV's label
    column is ``label`` if present, else the last column. Labels are returned as given.
    """
    if isinstance(source, tuple) and len(source) == 2:
        X, y = check_X_y(*source)
        return X, y, "arrays"
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and (source.lower().endswith(".csv") or os.sep in source)
    ):
        path = Path(source)
        X, y = _load_csv(path)
        return X, _as_1d(y), path.stem
    if not isinstance(source, str):
        raise TypeError(
            "dataset must be a name, a CSV path, (X, y), (X_train, y_train, X_valid, y_valid"
            f"[, X_test, y_test]) or a list of these; got {type(source).__name__}"
        )
    if source == "digits":
        X, y = _load_digits(8)  # the paper's Optical Digits task: target 8 (Table 7)
    elif source.startswith("digits-") and source[7:].isdigit() and int(source[7:]) < 10:
        X, y = _load_digits(int(source[7:]))
    elif source == "breast_cancer":
        from sklearn.datasets import load_breast_cancer

        data = load_breast_cancer()
        X, y = data.data, (data.target == 0).astype(np.int64)  # 0 = malignant = minority
    elif source in _TOY_OVERLAP:
        X, y = make_toy(source)
    elif source in IMBLEARN_DATASETS:
        X, y = _fetch_imblearn(source)
    elif source.startswith("keel:"):
        from mesa_env.keel import load_keel

        X, y = load_keel(source)  # positive → 1; cache filled on first use
    else:
        raise ValueError(
            f"unknown dataset {source!r}; known names: {', '.join(DATASET_NAMES)}; "
            "or pass a CSV path or (X, y) arrays"
        )
    return X, y, source


# --------------------------------------------------------------------------- splits
def split_classwise(
    y01: np.ndarray, ratios: Sequence[float], rng: np.random.Generator
) -> list[np.ndarray]:
    """Index arrays of a class-wise stratified split (App. B): each class is cut by ``ratios``.

    Every part gets at least one example of each class when the class allows it.
    """
    parts: list[list[np.ndarray]] = [[] for _ in ratios]
    cuts = np.cumsum(ratios)[:-1] / np.sum(ratios)
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(y01 == cls))
        bounds = np.round(cuts * idx.size).astype(int)
        bounds = np.clip(
            bounds, np.arange(1, len(ratios)), idx.size - np.arange(len(ratios) - 1, 0, -1)
        )
        for part, chunk in zip(parts, np.split(idx, bounds), strict=True):
            part.append(chunk)
    return [np.sort(np.concatenate(p)) for p in parts]


def subsample_classwise(y01: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of a stratified ``fraction`` of the examples (at least 2 per class)."""
    keep = []
    for cls in (0, 1):
        idx = np.flatnonzero(y01 == cls)
        n = min(idx.size, max(2, round(fraction * idx.size)))
        keep.append(rng.choice(idx, n, replace=False))
    return np.sort(np.concatenate(keep))


def add_label_noise(y01: np.ndarray, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Flip ``ratio`` of the minority labels to 0 and as many majority labels to 1 (App. A.2).

    The imbalance ratio is unchanged. Returns a new array.
    """
    y_noisy = y01.copy()
    pos, neg = np.flatnonzero(y01 == 1), np.flatnonzero(y01 == 0)
    n_flip = min(round(ratio * pos.size), neg.size)
    if n_flip:
        y_noisy[rng.choice(pos, n_flip, replace=False)] = 0
        y_noisy[rng.choice(neg, n_flip, replace=False)] = 1
    return y_noisy


def _check_task_options(split_seed: Any, label_noise: Any, train_ratio: Any) -> None:
    """Refuse ``make_task`` options of the wrong type or outside their ranges."""
    for name, value in (("label_noise", label_noise), ("train_ratio", train_ratio)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name} must be a number; got {type(value).__name__}")
    if not 0.0 <= label_noise < 1.0:
        raise ValueError(f"label_noise must be in [0, 1); got {label_noise}")
    if not 0.0 < train_ratio <= 1.0:
        raise ValueError(f"train_ratio must be in (0, 1]; got {train_ratio}")
    if isinstance(split_seed, bool) or not isinstance(split_seed, (int, np.integer)):
        raise TypeError(
            f"split_seed must be an integer >= 0; got {type(split_seed).__name__} {split_seed!r}"
        )
    if split_seed < 0:
        raise ValueError(f"split_seed must be an integer >= 0; got {split_seed}")


def _presplit_arrays(source: tuple) -> tuple[list[np.ndarray], list[np.ndarray], tuple[Any, Any]]:
    """``(Xs, 0/1 ys, classes)`` of an already split dataset tuple, every split checked."""
    arrays = [check_X_y(source[i], source[i + 1]) for i in range(0, len(source), 2)]
    n_features = {X.shape[1] for X, _ in arrays}
    if len(n_features) > 1:
        raise ValueError(f"the splits have different numbers of features: {sorted(n_features)}")
    y_train01, classes = binarize_labels(arrays[0][1])
    ys = [y_train01]
    for _, y in arrays[1:]:
        unknown = set(np.unique(y).tolist()) - set(classes)
        if unknown:
            raise ValueError(f"validation/test labels {sorted(unknown)} are not in training")
        ys.append((y == classes[1]).astype(np.int64))
    for y01, what in zip(
        ys, ("training split", "validation split", "test split")[: len(ys)], strict=True
    ):
        _check_minority(y01, 1, what)
        if not (y01 == 0).any():
            raise ValueError(f"the {what} has no majority example; each split needs both")
    return [X for X, _ in arrays], ys, classes


def make_task(
    source: Any,
    *,
    split_seed: int = 0,
    label_noise: float = 0.0,
    train_ratio: float = 1.0,
) -> Task:
    """Build a :class:`Task` from any dataset form the environment accepts.

    ``source`` is a name, CSV path or ``(X, y)`` (split class-wise 60/20/20 with ``split_seed``),
    or ``(X_train, y_train, X_valid, y_valid[, X_test, y_test])`` already split. ``label_noise``
    flips training labels only (App. A.2); ``train_ratio`` keeps a stratified fraction of the
    training split (meta-training on a subset, §4.2 and App. C.1). Valid/test stay untouched.
    """
    _check_task_options(split_seed, label_noise, train_ratio)
    rng = np.random.default_rng(split_seed)
    if isinstance(source, tuple) and len(source) in (4, 6):
        Xs, ys, classes = _presplit_arrays(source)
        name = "arrays"
    elif isinstance(source, tuple) and len(source) != 2:
        raise ValueError(
            f"a dataset tuple must be (X, y) or (X_train, y_train, X_valid, y_valid[, X_test, "
            f"y_test]); got a tuple of {len(source)} items"
        )
    else:
        X, y, name = load_dataset(source)
        y01, classes = binarize_labels(y)
        _check_minority(y01, MIN_MINORITY, f"dataset {name!r}")
        parts = split_classwise(y01, (0.6, 0.2, 0.2), rng)
        Xs = [X[p] for p in parts]
        ys = [y01[p] for p in parts]
    if train_ratio < 1.0:
        keep = subsample_classwise(ys[0], train_ratio, rng)
        Xs[0], ys[0] = Xs[0][keep], ys[0][keep]
    if label_noise > 0.0:
        ys[0] = add_label_noise(ys[0], label_noise, rng)
    X_test, y_test = (Xs[2], ys[2]) if len(Xs) == 3 else (None, None)
    return Task(
        name=name,
        X_train=np.ascontiguousarray(Xs[0]),
        y_train=ys[0],
        X_valid=np.ascontiguousarray(Xs[1]),
        y_valid=ys[1],
        X_test=None if X_test is None else np.ascontiguousarray(X_test),
        y_test=y_test,
        classes=classes,
        info={"split_seed": split_seed, "label_noise": label_noise, "train_ratio": train_ratio},
    )
