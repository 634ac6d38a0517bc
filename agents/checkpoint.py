"""Checkpoints that describe themselves (STYLE §10).

A checkpoint is ``NAME.zip`` + ``NAME.json`` + ``NAME.sampler.pt`` (+ ``NAME.replay.pkl``).

- ``NAME.zip``: SB3's full checkpoint (optimizer state, for ``--resume``). Trusted files only.
- ``NAME.replay.pkl``: the replay buffer of off-policy agents, for ``--resume``. Trusted only.
- ``NAME.json``: algorithm, hyper-parameters, environment settings, training data, timesteps,
  seed, package versions and a summary of the training curve; and the manifest of the set.
- ``NAME.sampler.pt``: the policy weights and the same metadata, safe to share and load.

Every file is written atomically (a unique temporary file renamed into place), but a set of
files cannot be renamed at once. So the set is tied together: each write gets a fresh
``checkpoint_id`` (in the JSON and the sampler's metadata), the JSON is written last and lists
the SHA-256 of every other file (``"files"``), and readers check them: ``read_metadata``
(hence ``--resume``) checks every file, ``load_sampler`` the sampler. A fault between files
leaves the previous JSON beside newer files, which is then refused with the file named.
Checkpoints written before manifests existed have no ``"files"`` and are not checked.
"""

from __future__ import annotations

import json
import platform
import uuid
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from agents.base import SamplerAgent
from agents.manifest import (
    _MEMBERS,
    check_sampler_in_checkpoint,
    checkpoint_paths,
)
from agents.manifest import (
    load_json as _load_json,
)
from agents.manifest import (
    manifest as _manifest,
)
from agents.manifest import (
    mixed_error as _mixed,
)
from agents.sampler_file import (
    atomic_write,
    file_sha256,
    sampler_writer,
    weights_sha256,
)

__all__ = [
    "check_sampler_in_checkpoint",
    "checkpoint_paths",
    "package_versions",
    "read_metadata",
    "verify_checkpoint",
    "write_checkpoint",
]

_PACKAGES = (
    "mesa-gym", "numpy", "scikit-learn", "imbalanced-learn", "gymnasium", "stable-baselines3",
    "sb3-contrib", "torch",
)  # fmt: skip
#: The files a manifest covers, by their key in :func:`checkpoint_paths`.


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a sampler's behaviour depends on."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def verify_checkpoint(stem: str | Path, metadata: dict[str, Any] | None = None) -> None:
    """Check every file of a checkpoint against the SHA-256 its JSON lists (if it lists any).

    A listed file that is missing or differs, or a model/replay/sampler file present but not
    listed, is a ValueError naming that file.
    """
    paths = checkpoint_paths(stem)
    json_path = paths["metadata"]
    metadata = _load_json(json_path) if metadata is None else metadata
    manifest = _manifest(json_path, metadata)
    if manifest is None:  # written before checkpoints carried a manifest
        return
    for member in _MEMBERS:
        path = paths[member]
        if member not in manifest:
            if path.is_file():
                raise _mixed(json_path, path, "is not among the files")
        elif not path.is_file():
            raise _mixed(json_path, path, "missing")
        elif file_sha256(path) != manifest[member]:
            raise _mixed(json_path, path, "differs (SHA-256) from the file")


def read_metadata(stem: str | Path, verify: bool = True) -> dict[str, Any]:
    """Read a checkpoint's JSON metadata, with a clear error when it is missing or broken.

    With ``verify`` (the default; ``--resume`` relies on it) every file of the checkpoint must
    be the one the JSON lists: see :func:`verify_checkpoint`.
    """
    path = checkpoint_paths(stem)["metadata"]
    metadata = _load_json(path)
    if verify:
        verify_checkpoint(stem, metadata)
    return metadata


def write_checkpoint(
    agent: SamplerAgent, stem: str | Path, metadata: dict[str, Any]
) -> dict[str, Path]:
    """Write every file of the checkpoint atomically, the JSON manifest last; return the paths.

    The agent supplies the sampler file's content (``checkpoint_state``) and the trusted files
    that resume training (``training_files``: an SB3 zip and replay buffer). Files of an
    earlier checkpoint of the same name that this one does not have are removed, so the set on
    disk is exactly the one the JSON lists.
    """
    paths = checkpoint_paths(stem)
    policy, state = agent.checkpoint_state()
    hyperparameters = dict(agent.hyperparameters) or policy.get("params", {})
    metadata = {
        "hyperparameters": hyperparameters,
        **metadata,
        "algo": agent.algo,
        "policy": policy,
        "versions": package_versions(),
        "checkpoint_id": uuid.uuid4().hex,
        "weights_sha256": weights_sha256(state),
    }
    digests = {
        member: atomic_write(paths[member], write)
        for member, write in agent.training_files().items()
    }
    digests["sampler"] = atomic_write(paths["sampler"], sampler_writer(metadata, state))
    files = {k: {"name": paths[k].name, "sha256": digest} for k, digest in digests.items()}
    text = json.dumps({**metadata, "files": files}, indent=2, default=str).encode()
    atomic_write(paths["metadata"], lambda handle: handle.write(text))
    for member in _MEMBERS:
        if member not in digests:
            paths[member].unlink(missing_ok=True)
    return {k: p for k, p in paths.items() if k in digests or k == "metadata"}
