"""Where a checkpoint's files live and what its JSON manifest says about them.

The lowest piece of the checkpoint format, shared by :mod:`agents.sampler_file` (a sampler
loaded beside a checkpoint JSON must be the one the JSON lists) and :mod:`agents.checkpoint`
(which writes and verifies whole sets), so neither imports the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "SAMPLER_SUFFIX",
    "check_sampler_in_checkpoint",
    "checkpoint_paths",
    "load_json",
    "manifest",
    "mixed_error",
]

SAMPLER_SUFFIX = ".sampler.pt"
_MEMBERS = ("model", "replay", "sampler")


def checkpoint_paths(stem: str | Path) -> dict[str, Path]:
    """Every file of checkpoint ``stem`` (given with or without a suffix)."""
    stem = Path(stem)
    if stem.name.endswith(SAMPLER_SUFFIX):
        stem = stem.with_name(stem.name[: -len(SAMPLER_SUFFIX)])
    elif stem.suffix in (".zip", ".json"):
        stem = stem.with_suffix("")
    return {
        "model": stem.with_name(stem.name + ".zip"),
        "metadata": stem.with_name(stem.name + ".json"),
        "sampler": stem.with_name(stem.name + SAMPLER_SUFFIX),
        "replay": stem.with_name(stem.name + ".replay.pkl"),
    }


def load_json(path: Path) -> dict[str, Any]:
    """A checkpoint's JSON metadata as a dict, with clear errors when missing or malformed."""
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint metadata {str(path)!r} does not exist")
    try:
        metadata = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"checkpoint metadata {path} is not valid JSON: {exc}") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"checkpoint metadata {path} is malformed: not a JSON object")
    return metadata


def manifest(json_path: Path, metadata: dict[str, Any]) -> dict[str, str] | None:
    """``{member: sha256}`` from the JSON's ``"files"``; None for a checkpoint without one."""
    files = metadata.get("files")
    if files is None:
        return None
    ok = isinstance(files, dict) and all(
        key in _MEMBERS and isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
        for key, entry in files.items()
    )
    if not ok:
        raise ValueError(
            f"checkpoint metadata {json_path} is malformed: 'files' must map "
            f"{'/'.join(_MEMBERS)} to {{'name': ..., 'sha256': ...}}"
        )
    return {key: entry["sha256"] for key, entry in files.items()}


def mixed_error(json_path: Path, file: Path, why: str) -> ValueError:
    """The error for a file that is not the one the checkpoint's JSON lists."""
    stem = json_path.with_suffix("")
    if why == "missing":
        return ValueError(
            f"checkpoint {stem} is incomplete: {file} is missing, yet {json_path.name} lists it"
        )
    return ValueError(
        f"checkpoint {stem} is a mixed set: {file} {why} {json_path.name} lists. A write was "
        "interrupted between files, or another run or person replaced one; write the "
        "checkpoint again"
    )


def check_sampler_in_checkpoint(sampler: Path, digest: str, metadata: dict[str, Any]) -> None:
    """Refuse a sampler file that is not the one the checkpoint JSON beside it lists.

    ``digest`` is the sampler file's SHA-256. Nothing to check without a JSON, or with one
    from before manifests; an unreadable JSON is left to ``agents.checkpoint.read_metadata``
    to report.
    """
    json_path = checkpoint_paths(sampler)["metadata"]
    if not json_path.is_file():
        return
    try:
        checkpoint = load_json(json_path)
        listed = manifest(json_path, checkpoint)
    except (OSError, ValueError):
        return
    if listed is None or listed.get("sampler") == digest:
        return
    ids = (metadata.get("checkpoint_id"), checkpoint.get("checkpoint_id"))
    why = "differs (SHA-256) from the sampler" if "sampler" in listed else "is not among the files"
    error = mixed_error(json_path, sampler, why)
    if all(ids):
        error = ValueError(f"{error} (sampler of checkpoint {ids[0]}, JSON of {ids[1]})")
    raise error
