"""Checkpoints that describe themselves (STYLE §10): ``NAME.zip`` + ``NAME.json`` +
``NAME.sampler.pt``.

- ``NAME.zip``: SB3's full checkpoint (optimizer state, for ``--resume``). Trusted files only.
- ``NAME.replay.pkl``: the replay buffer of off-policy agents, for ``--resume``. Trusted only.
- ``NAME.json``: algorithm, hyper-parameters, environment settings, training data, timesteps,
  seed, package versions and a summary of the training curve.
- ``NAME.sampler.pt``: the policy weights and the same metadata, safe to share and load.
Every file is written to a temporary name first and renamed into place.
"""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from agents.sampler_file import SAMPLER_SUFFIX, atomic_write, write_sampler_file

__all__ = ["checkpoint_paths", "package_versions", "read_metadata", "write_checkpoint"]

_PACKAGES = (
    "mesa-gym", "numpy", "scikit-learn", "imbalanced-learn", "gymnasium", "stable-baselines3",
    "sb3-contrib", "torch",
)  # fmt: skip


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages a sampler's behaviour depends on."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


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


def read_metadata(stem: str | Path) -> dict[str, Any]:
    """Read a checkpoint's JSON metadata, with a clear error when it is missing or broken."""
    path = checkpoint_paths(stem)["metadata"]
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint metadata {str(path)!r} does not exist")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"checkpoint metadata {path} is not valid JSON: {exc}") from None


def _atomic_save(path: Path, save: Any) -> None:
    """``save(tmp_path)`` then rename: SB3's savers take paths (and keep their suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_checkpoint(agent: Any, stem: str | Path, metadata: dict[str, Any]) -> dict[str, Path]:
    """Write every file of the checkpoint atomically; return their paths."""
    paths = checkpoint_paths(stem)
    policy: dict[str, Any]
    if hasattr(agent, "model"):  # an SB3 agent
        _atomic_save(paths["model"], agent.save)
        if getattr(agent.model, "replay_buffer", None) is not None:
            _atomic_save(paths["replay"], agent.model.save_replay_buffer)
        obs_dim = int(agent.model.observation_space.shape[0])
        policy = {"kind": "sb3", "policy_kwargs": agent.policy_kwargs(), "obs_dim": obs_dim}
        state = agent.actor_state_dict()
    else:  # a reference policy: parameters only
        policy = {"kind": "reference", "params": agent.params()}
        state = {}
    hyperparameters = getattr(agent, "hyperparameters", None) or policy.get("params", {})
    metadata = {
        "hyperparameters": hyperparameters,
        **metadata,
        "algo": agent.algo,
        "policy": policy,
        "versions": package_versions(),
    }
    text = json.dumps(metadata, indent=2, default=str).encode()
    atomic_write(paths["metadata"], lambda handle: handle.write(text))
    write_sampler_file(paths["sampler"], metadata, state)
    return {k: p for k, p in paths.items() if p.is_file()}
