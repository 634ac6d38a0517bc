"""Datasets, labels and the class-wise 60/20/20 split (App. B), label noise (App. A.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mesa_env.data import (
    DATASET_NAMES,
    IMBLEARN_DATASETS,
    binarize_labels,
    load_dataset,
    make_task,
    split_classwise,
)


def sorted_rows(X: np.ndarray) -> np.ndarray:
    return X[np.lexsort(X.T[::-1])]


def class_counts(y: np.ndarray) -> tuple[int, int]:
    return int(np.count_nonzero(y == 0)), int(np.count_nonzero(y == 1))


def write_csv(path, X, y, label_at: int | None, label_name: str = "label") -> None:
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame.insert(X.shape[1] if label_at is None else label_at, label_name, y)
    frame.to_csv(path, index=False)


# --------------------------------------------------------------------------- split
@pytest.mark.parametrize("split_seed", [0, 1])
def test_classwise_split_keeps_ir_and_covers_everything(split_seed):
    X, y, _ = load_dataset("digits")
    y01 = (y == 1).astype(np.int64)
    task = make_task("digits", split_seed=split_seed)
    n_neg, n_pos = class_counts(y01)
    for y_split, share in ((task.y_train, 0.6), (task.y_valid, 0.2), (task.y_test, 0.2)):
        neg, pos = class_counts(y_split)
        assert abs(neg - share * n_neg) <= 1 and abs(pos - share * n_pos) <= 1
        # IR within rounding: one example more or less of each class
        assert (neg - 1) / (pos + 1) <= n_neg / n_pos <= (neg + 1) / (pos - 1)
    X_all = np.vstack([task.X_train, task.X_valid, task.X_test])
    assert X_all.shape == X.shape
    np.testing.assert_array_equal(sorted_rows(X_all), sorted_rows(X))  # a partition of the rows
    y_all = np.r_[task.y_train, task.y_valid, task.y_test]
    assert class_counts(y_all) == (n_neg, n_pos)


def test_split_classwise_indices_are_disjoint_and_cover():
    rng = np.random.default_rng(0)
    y01 = (rng.random(503) < 0.08).astype(np.int64)
    parts = split_classwise(y01, (0.6, 0.2, 0.2), rng)
    joined = np.concatenate(parts)
    assert joined.size == y01.size and np.unique(joined).size == y01.size
    for part in parts:
        assert 0 < np.count_nonzero(y01[part]) < part.size  # both classes everywhere


def test_split_depends_on_split_seed_only():
    a, b, c = (make_task("toy-mid", split_seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)


# --------------------------------------------------------------------------- noise, subsets
@pytest.mark.parametrize("ratio", [0.1, 0.25, 0.5])
def test_label_noise_flips_round_r_p_each_way_in_training_only(ratio):
    clean = make_task("digits", split_seed=3)
    noisy = make_task("digits", split_seed=3, label_noise=ratio)
    np.testing.assert_array_equal(noisy.X_train, clean.X_train)
    n_flip = round(ratio * clean.n_minority)
    assert n_flip > 0
    assert np.count_nonzero((clean.y_train == 1) & (noisy.y_train == 0)) == n_flip
    assert np.count_nonzero((clean.y_train == 0) & (noisy.y_train == 1)) == n_flip
    assert noisy.n_minority == clean.n_minority  # IR unchanged
    for split in ("X_valid", "y_valid", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(noisy, split), getattr(clean, split))


@pytest.mark.parametrize("fraction", [0.1, 0.5])
def test_train_ratio_keeps_a_stratified_fraction_of_training(fraction):
    full = make_task("digits", split_seed=2)
    part = make_task("digits", split_seed=2, train_ratio=fraction)
    neg, pos = class_counts(full.y_train)
    assert class_counts(part.y_train) == (round(fraction * neg), round(fraction * pos))
    full_rows = {
        row.tobytes(): label for row, label in zip(full.X_train, full.y_train, strict=True)
    }
    for row, label in zip(part.X_train, part.y_train, strict=True):
        assert full_rows[row.tobytes()] == label  # a subset of the training split
    np.testing.assert_array_equal(part.X_valid, full.X_valid)
    np.testing.assert_array_equal(part.y_test, full.y_test)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"label_noise": 1.0}, "label_noise"),
        ({"label_noise": -0.1}, "label_noise"),
        ({"train_ratio": 0.0}, "train_ratio"),
        ({"train_ratio": 1.5}, "train_ratio"),
    ],
)
def test_noise_and_ratio_ranges_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_task("toy-less", **kwargs)


# --------------------------------------------------------------------------- datasets
@pytest.mark.parametrize("name", ["toy-less", "toy-mid", "toy-highly"])
def test_toy_sets_have_2000_majority_and_200_minority(name):
    X, y, got_name = load_dataset(name)
    assert got_name == name and X.shape == (2200, 2)
    assert class_counts(y) == (2000, 200)


def test_toy_sets_overlap_more_and_more():
    """Less < mid < highly overlapped: minority examples closer to the majority arc."""
    spread = []
    for name in ("toy-less", "toy-mid", "toy-highly"):
        X, y, _ = load_dataset(name)
        spread.append(np.std(X[y == 0], axis=0).sum())
    assert spread[0] < spread[1] < spread[2]


def test_digits_has_ir_about_9_and_one_vs_rest_variants():
    X, y, _ = load_dataset("digits")
    neg, pos = class_counts(y)
    assert X.shape == (1797, 64) and 9.0 <= neg / pos <= 9.5
    for name in ("digits-0", "digits-9"):
        _, y_k, _ = load_dataset(name)
        assert 8.5 <= np.count_nonzero(y_k == 0) / np.count_nonzero(y_k == 1) <= 9.5
    assert "digits" in DATASET_NAMES and set(IMBLEARN_DATASETS) <= set(DATASET_NAMES)


def test_imblearn_name_without_cache_fails_with_the_cache_directory(monkeypatch, tmp_path):
    import imblearn.datasets
    import sklearn.datasets

    calls = []

    def offline(*args, **kwargs):
        calls.append(kwargs.get("download_if_missing"))
        raise OSError("network is unreachable")

    monkeypatch.setattr(imblearn.datasets, "fetch_datasets", offline)
    monkeypatch.setattr(sklearn.datasets, "get_data_home", lambda *a, **k: str(tmp_path))
    with pytest.raises(OSError, match="not in imbalanced-learn's cache") as exc:
        make_task("ecoli")
    assert str(tmp_path / "zenodo") in str(exc.value)
    assert "toy-less" in str(exc.value)  # points at the offline sets
    assert calls and calls[0] is False  # the cache is tried first


# --------------------------------------------------------------------------- labels, CSV
@pytest.mark.parametrize(
    ("majority", "minority"), [(0, 1), (1, 0), (-1, 1), ("neg", "pos"), ("z", "a"), (False, True)]
)
def test_minority_maps_to_one_whatever_the_labels(xy, majority, minority):
    X, y01 = xy
    y = np.where(y01 == 1, minority, majority)
    task = make_task((X, y))
    assert task.classes == (majority, minority)
    assert task.n_minority + class_counts(task.y_valid)[1] + class_counts(task.y_test)[1] == int(
        y01.sum()
    )
    assert set(np.unique(task.y_train).tolist()) == {0, 1}


def test_binarize_labels_equal_counts_makes_larger_label_positive():
    y01, classes = binarize_labels(np.array(["b", "a", "b", "a"]))
    assert classes == ("a", "b")
    np.testing.assert_array_equal(y01, [1, 0, 1, 0])


def test_pandas_inputs(xy):
    X, y = xy
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    series = pd.Series(np.where(y == 1, -1, 1), name="label")  # minority labelled −1
    task = make_task((frame, series))
    reference = make_task((X, y))
    np.testing.assert_array_equal(task.X_train, reference.X_train)
    np.testing.assert_array_equal(task.y_train, reference.y_train)
    assert task.classes == (1, -1)


def test_pandas_string_labels(xy):
    """Strings from pandas are an object array of Python str (not numpy scalars)."""
    X, y = xy
    series = pd.Series(np.where(y == 1, "fraud", "normal"), name="label")  # dtype object
    assert make_task((pd.DataFrame(X), series)).classes == ("normal", "fraud")


def test_csv_with_label_column_anywhere(tmp_path, xy):
    X, y = xy
    path = tmp_path / "with_label.csv"
    write_csv(path, X, np.where(y == 1, 1, -1), label_at=2)
    X_got, y_got, name = load_dataset(str(path))
    assert name == "with_label"
    np.testing.assert_allclose(X_got, X)  # the label column is not a feature
    np.testing.assert_array_equal(y_got == 1, y == 1)
    task = make_task(path)  # os.PathLike works too
    assert task.classes == (-1, 1)


def test_csv_with_string_labels(tmp_path, xy):
    X, y = xy
    path = tmp_path / "strings.csv"
    write_csv(path, X, np.where(y == 1, "pos", "neg"), label_at=0)
    assert make_task(str(path)).classes == ("neg", "pos")


def test_csv_without_label_column_uses_the_last(tmp_path, xy):
    X, y = xy
    path = tmp_path / "last.csv"
    write_csv(path, X, 1 - y, label_at=None, label_name="cls")
    X_got, y_got, _ = load_dataset(str(path))
    np.testing.assert_allclose(X_got, X)
    np.testing.assert_array_equal(y_got, 1 - y)
    task = make_task(str(path))
    assert task.classes == (1, 0)  # the minority (y == 1 → cls 0) became 1
    assert task.n_minority == class_counts(make_task((X, y)).y_train)[1]


def test_missing_csv_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_task(str(tmp_path / "nope.csv"))


def test_presplit_four_and_six_tuples(xy):
    X, y = xy
    task4 = make_task((X[:300], y[:300], X[300:], y[300:]))
    assert task4.X_test is None and task4.y_test is None
    assert set(task4.eval_slices) == {"train", "valid"}
    task6 = make_task((X[:300], y[:300], X[300:450], y[300:450], X[450:], y[450:]))
    np.testing.assert_array_equal(task6.X_valid, X[300:450])
    assert task6.X_eval.shape == (600, X.shape[1])
    np.testing.assert_array_equal(task6.X_eval[task6.eval_slices["test"]], X[450:])


def test_presplit_labels_must_match_training(xy):
    X, y = xy
    with pytest.raises(ValueError, match="not in training"):
        make_task((X[:300], y[:300], X[300:], np.where(y[300:] == 1, 7, 0)))
    with pytest.raises(ValueError, match="different numbers of features"):
        make_task((X[:300], y[:300], X[300:, :3], y[300:]))


# --------------------------------------------------------------------------- boundary errors
@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, xy, sep):
    X, y = xy
    comma, other = tmp_path / "comma.csv", tmp_path / "other.csv"
    write_csv(comma, X, y, label_at=None)
    pd.read_csv(comma).to_csv(other, sep=sep, index=False)
    X_got, y_got, _ = load_dataset(str(other))
    np.testing.assert_allclose(X_got, X)
    np.testing.assert_array_equal(y_got, y)


def test_csv_without_header_keeps_its_first_row(tmp_path, xy):
    """A first row of numbers is data (read with header=None; the label is the last column)."""
    X, y = xy
    path = tmp_path / "no_header.csv"
    pd.DataFrame(np.c_[X, y]).to_csv(path, index=False, header=False)
    X_got, y_got, _ = load_dataset(str(path))
    assert X_got.shape == X.shape
    np.testing.assert_allclose(X_got, X)
    np.testing.assert_array_equal(y_got, y)


def test_csv_with_pandas_default_column_names_is_still_a_header(tmp_path, xy):
    X, y = xy
    path = tmp_path / "default_names.csv"
    pd.DataFrame(np.c_[X, y]).to_csv(path, index=False)  # header "0,1,…,5"
    X_got, y_got, _ = load_dataset(str(path))
    assert X_got.shape == X.shape
    np.testing.assert_array_equal(y_got, y)


def test_csv_binary_garbage_is_refused_clearly(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ValueError, match="not a UTF-8 text CSV file"):
        load_dataset(str(path))


def test_csv_with_one_column_says_so(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("a\n1\n2\n3\n")
    with pytest.raises(ValueError, match=r"has 1 column\(s\).*feature columns and a label"):
        load_dataset(str(path))


def test_empty_csv_says_so(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("\n\n")
    with pytest.raises(ValueError, match="is empty"):
        load_dataset(str(path))


def test_directory_is_not_reported_as_missing(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory, not a CSV file"):
        load_dataset(str(folder) + "/")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        make_task(folder)


def test_sparse_X_asks_for_a_dense_array(xy):
    from scipy import sparse

    X, y = xy
    for matrix in (sparse.csr_matrix(X), sparse.csc_array(X)):
        with pytest.raises(TypeError, match=r"scipy sparse matrix .*X\.toarray\(\)"):
            make_task((matrix, y))
    with pytest.raises(TypeError, match="sparse"):
        make_task((sparse.csr_matrix(X[:300]), y[:300], X[300:], y[300:]))


@pytest.mark.parametrize(
    ("split_seed", "error"),
    [(-1, ValueError), ("abc", TypeError), (1.5, TypeError), (None, TypeError), (True, TypeError)],
)
def test_split_seed_must_be_a_non_negative_integer(split_seed, error):
    with pytest.raises(error, match="split_seed must be an integer >= 0"):
        make_task("toy-less", split_seed=split_seed)
    assert make_task("toy-less", split_seed=np.int64(3)).info["split_seed"] == 3
