"""Sampler files: a trained meta-sampler that can be shared and loaded without running code.

An SB3 ``.zip`` stores parts of itself with cloudpickle, so loading one from a stranger runs
their code. A sampler file (``*.sampler.pt``) holds only tensors, strings and numbers: the
deterministic policy's weights and the JSON metadata describing how to rebuild it. It is read
with ``torch.load(weights_only=True)``, whose unpickler refuses every other object, and the
policy class comes from a whitelist keyed by the algorithm name, never from the file.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from agents.base import as_batch

__all__ = ["SAMPLER_SUFFIX", "Sampler", "load_sampler", "read_sampler_file", "write_sampler_file"]

FORMAT = "mesa-sampler"
FORMAT_VERSION = 1
SAMPLER_SUFFIX = ".sampler.pt"
#: Environment settings a sampler's observations depend on: a mismatch makes its μ meaningless.
CHECKED_SETTINGS = ("n_bins", "histogram", "sigma", "progress_obs")


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_sampler_file(
    path: str | Path, metadata: dict[str, Any], state_dict: dict[str, Any] | None
) -> Path:
    """Write weights (tensors only) and metadata (as a JSON string) to ``path`` atomically."""
    import torch

    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "metadata": json.dumps(metadata),
        "state_dict": {k: v.detach().cpu() for k, v in (state_dict or {}).items()},
    }
    path = Path(path)
    atomic_write(path, lambda handle: torch.save(payload, handle))
    return path


def read_sampler_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``(metadata, state_dict)`` from a sampler file, refusing anything else clearly."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sampler file {str(path)!r} does not exist")
    hint = (
        f"{path} is not a valid sampler file ({SAMPLER_SUFFIX}); "
        "train_sampler.py writes one beside each checkpoint"
    )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refused a pickled object: exactly what a crafted file contains.
        raise ValueError(f"{hint}: it holds objects other than weights, refused ({exc})") from None
    except Exception as exc:  # torch raises many types on truncated or foreign files
        if zipfile.is_zipfile(path) and "data" in zipfile.ZipFile(path).namelist():
            hint += "; this looks like a full SB3 .zip checkpoint, which is not safe to share"
        raise ValueError(f"{hint}: truncated, corrupt or of another format ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{hint}: no '{FORMAT}' header")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: sampler format version {payload.get('format_version')} unknown")
    try:
        metadata = json.loads(payload["metadata"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{hint}: metadata missing or not JSON ({exc})") from None
    state_dict = payload.get("state_dict")
    if not isinstance(state_dict, dict) or not all(
        isinstance(v, torch.Tensor) for v in state_dict.values()
    ):
        raise ValueError(f"{hint}: state_dict must map names to tensors")
    for key in ("algo", "env", "policy"):
        if key not in metadata:
            raise ValueError(f"{hint}: metadata has no {key!r} entry")
    return metadata, state_dict


def _rebuild_policy(metadata: dict[str, Any], state_dict: dict[str, Any], path: Path) -> Any:
    """Build the whitelisted policy the metadata names and load the weights into it."""
    from gymnasium import spaces

    from agents.registry import REFERENCE_POLICIES
    from agents.sb3_agents import ON_POLICY, SB3_ALGOS, policy_class

    algo, spec = metadata["algo"], metadata["policy"]
    if algo in REFERENCE_POLICIES:
        return REFERENCE_POLICIES[algo](**spec.get("params", {}))
    if algo not in SB3_ALGOS:
        raise ValueError(f"{path}: unknown algorithm {algo!r} in metadata")
    obs_dim = int(spec["obs_dim"])
    observation_space = spaces.Box(0.0, 1.0, shape=(obs_dim,), dtype=np.float32)
    action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
    policy = policy_class(algo)(
        observation_space, action_space, lambda _: 0.0, **spec.get("policy_kwargs", {})
    )
    full = policy.state_dict()
    needed = set(full) if algo in ON_POLICY else {k for k in full if k.startswith("actor.")}
    missing, unexpected = needed - set(state_dict), set(state_dict) - needed
    if missing or unexpected:
        raise ValueError(
            f"{path}: weights do not fit the {algo} architecture in the metadata "
            f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})"
        )
    full.update(state_dict)
    try:
        policy.load_state_dict(full)
    except RuntimeError as exc:
        raise ValueError(
            f"{path}: weights do not fit the architecture in the metadata: {exc}"
        ) from None
    policy.set_training_mode(False)
    return policy


class Sampler:
    """A meta-sampler loaded from a sampler file: ``predict(obs)`` gives μ ∈ [0, 1].

    ``metadata`` holds what it was trained on and under which environment settings.
    """

    def __init__(self, metadata: dict[str, Any], policy: Any) -> None:
        self.metadata = metadata
        self.algo: str = metadata["algo"]
        self.policy = policy

    @property
    def env_settings(self) -> dict[str, Any]:
        """The environment settings the sampler was trained under."""
        return dict(self.metadata["env"])

    def learn(self, total_timesteps: int = 0, **kwargs: Any) -> Sampler:
        """A loaded sampler is frozen; retrain from the SB3 checkpoint with ``--resume``."""
        raise NotImplementedError("a sampler file holds a frozen policy; use --resume to train")

    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """μ in [0, 1]: shape (1,) for one observation, (n, 1) for a batch."""
        from agents.sb3_agents import to_mu

        if not hasattr(self.policy, "set_training_mode"):  # reference policy: already μ
            return self.policy.predict(observation, deterministic)
        batch, single = as_batch(observation)
        action, _ = self.policy.predict(batch, deterministic=deterministic)
        mu = to_mu(action).reshape(-1, 1)
        return (mu[0] if single else mu), None

    def save(self, path: str | Path) -> None:
        """Write this sampler to another sampler file."""
        state = {} if not hasattr(self.policy, "state_dict") else self._actor_state()
        write_sampler_file(path, self.metadata, state)

    def _actor_state(self) -> dict[str, Any]:
        from agents.sb3_agents import ON_POLICY

        state = self.policy.state_dict()
        if self.algo in ON_POLICY:
            return state
        return {k: v for k, v in state.items() if k.startswith("actor.")}


def sampler_path(path: str | Path) -> Path:
    """Accept the sampler file itself or the checkpoint stem / .json / .zip beside it."""
    path = Path(path)
    if path.name.endswith(SAMPLER_SUFFIX):
        return path
    stem = path.with_suffix("") if path.suffix in (".json", ".zip") else path
    candidate = stem.with_name(stem.name + SAMPLER_SUFFIX)
    if path.suffix == ".zip" and not candidate.is_file():
        raise ValueError(
            f"{path} is a full SB3 checkpoint: it can run code when loaded, so load_sampler "
            f"refuses it and looks for {candidate.name} beside it, which does not exist"
        )
    return candidate if candidate.is_file() or not path.is_file() else path


def load_sampler(path: str | Path, **expected: Any) -> Sampler:
    """Load a sampler file safely and check it fits the caller's environment settings.

    ``expected`` names settings (``n_bins``, ``histogram``, ``sigma``, ``progress_obs``) the
    caller will use; any that differs from the sampler's training settings is an error.
    """
    file = sampler_path(path)
    metadata, state_dict = read_sampler_file(file)
    settings = metadata["env"]
    mismatches = [
        f"{key}={value!r} (trained with {settings.get(key)!r})"
        for key, value in expected.items()
        if value is not None and key in CHECKED_SETTINGS and settings.get(key) != value
    ]
    if mismatches:
        raise ValueError(f"sampler {file} does not fit these settings: {', '.join(mismatches)}")
    return Sampler(metadata, _rebuild_policy(metadata, state_dict, file))
