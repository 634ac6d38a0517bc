"""Sampler files: a trained meta-sampler that can be shared and loaded without running code.

An SB3 ``.zip`` stores parts of itself with cloudpickle, so loading one from a stranger runs
their code. A sampler file (``*.sampler.pt``) holds only tensors, strings and numbers: the
deterministic policy's weights and the JSON metadata describing how to rebuild it. It is read
with ``torch.load(weights_only=True)``, whose unpickler refuses every other object, and the
policy class comes from a whitelist keyed by the algorithm name, never from the file.

What the file says is checked before anything is built from it:

- integrity: ``metadata["weights_sha256"]`` is a SHA-256 over the tensors' names, dtypes,
  shapes and bytes, and the payload's ``metadata_sha256`` one over the metadata text; both are
  recomputed on load and a mismatch is refused. Files written before these hashes existed
  (*legacy*) load with a warning, except the shipped sampler, whose weights hash is pinned.
- types: every metadata field the loader reads must have its documented type.
- size: ``net_arch`` lists at most :data:`MAX_LAYERS` layers of at most :data:`MAX_UNITS`
  units, and every actor layer the architecture implies must have the shape of the stored
  tensor, so the weights allocated are those already read from the file. The critics of
  off-policy algorithms are not in the file (they play no part in μ): a loaded sampler gets a
  one-unit critic, so the metadata's critic size cannot make loading allocate memory either.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from agents.base import SamplerAgent, as_batch
from agents.manifest import SAMPLER_SUFFIX, check_sampler_in_checkpoint
from mesa_env.settings import EnvSettings, check_compatible

__all__ = [
    "MAX_LAYERS",
    "MAX_OBS_DIM",
    "MAX_UNITS",
    "SAMPLER_SUFFIX",
    "Sampler",
    "atomic_write",
    "file_sha256",
    "load_sampler",
    "read_sampler_file",
    "sampler_writer",
    "weights_sha256",
    "write_sampler_file",
]

FORMAT = "mesa-sampler"
FORMAT_VERSION = 1
#: Environment settings a sampler's observations depend on: a mismatch makes its μ meaningless.
CHECKED_SETTINGS = EnvSettings.OBSERVATION_FIELDS
#: Bounds on the architecture a sampler file may ask for (the presets use one layer of 50).
MAX_UNITS = 4096
MAX_LAYERS = 8
MAX_OBS_DIM = 4096
#: ``weights_sha256`` of the shipped sampler (``agents/pretrained`` and ``checkpoints/``),
#: written before sampler files carried hashes: its weights are still checked.
KNOWN_LEGACY_WEIGHTS = frozenset(
    {"a02bc7d95bda8857b967e87e612724f83e7f2f876d372d3ce0fc57fdf1841054"}
)
#: Default actor layers of each policy class when ``policy_kwargs`` has no ``net_arch``.
_DEFAULT_PI = {
    "sac": [256, 256], "tqc": [256, 256], "crossq": [256, 256], "td3": [400, 300],
    "ddpg": [400, 300], "ppo": [64, 64], "a2c": [64, 64],
}  # fmt: skip
#: ``policy_kwargs`` that only size the critics, which a loaded sampler does not need.
_CRITIC_ONLY = ("n_critics", "n_quantiles")


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file; mkstemp's is 0o600


# ------------------------------------------------------------------------------ atomic writes
def atomic_write(path: str | Path, write: Callable[[Any], Any]) -> str:
    """Write ``path`` atomically; return the SHA-256 (hex) of the bytes written.

    ``write(handle)`` fills a binary file open on a temporary file that is created exclusively
    (``O_EXCL``, unique name, never a symlink followed) in ``path``'s folder; it is synced and
    renamed over ``path`` only when ``write`` returns. Readers see the old file or the new one,
    concurrent writers never collide, and on any error ``path`` is untouched. SB3's
    ``model.save`` and ``save_replay_buffer`` accept such a handle as they accept a path, and
    then append no suffix; they may close it, which is allowed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        reader = os.dup(fd)  # survives ``write`` closing the handle: to sync and hash
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, _FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.fsync(reader)
            os.lseek(reader, 0, os.SEEK_SET)
            digest = hashlib.sha256()
            while chunk := os.read(reader, 1 << 20):
                digest.update(chunk)
        finally:
            os.close(reader)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------------------------ hashes
def weights_sha256(state_dict: dict[str, Any]) -> str:
    """SHA-256 (hex) over the tensors' names, dtypes, shapes and bytes, in name order."""
    import torch

    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        data = tensor.reshape(-1).view(torch.uint8).numpy()
        header = [name, str(tensor.dtype), list(tensor.shape), int(data.size)]
        digest.update(json.dumps(header).encode() + b"\n")
        digest.update(data)
    return digest.hexdigest()


def _text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------------ writing
def sampler_writer(
    metadata: dict[str, Any], state_dict: dict[str, Any] | None
) -> Callable[[Any], None]:
    """``write(handle)`` that saves weights and metadata (with their hashes) as a sampler file.

    For :func:`atomic_write`; ``metadata["weights_sha256"]`` is (re)computed from the weights.
    """
    import torch

    state = {k: v.detach().cpu() for k, v in (state_dict or {}).items()}
    text = json.dumps({**metadata, "weights_sha256": weights_sha256(state)})
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "metadata": text,
        "metadata_sha256": _text_sha256(text),
        "state_dict": state,
    }
    return lambda handle: torch.save(payload, handle)


def write_sampler_file(
    path: str | Path, metadata: dict[str, Any], state_dict: dict[str, Any] | None
) -> Path:
    """Write weights (tensors only) and metadata (as a JSON string) to ``path`` atomically."""
    path = Path(path)
    atomic_write(path, sampler_writer(metadata, state_dict))
    return path


# ------------------------------------------------------------------------------ reading
def _malformed(path: Path, field: str, expected: str, value: Any) -> ValueError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ValueError(
        f"{path} is a malformed sampler file: metadata field {field!r} must be {expected}, "
        f"got {type(value).__name__} {shown}"
    )


def _is_sb3_zip(data: bytes) -> bool:
    """Whether ``data`` is a zip with SB3's ``data`` member."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return False
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "data" in archive.namelist()


def _read(path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """``(metadata, state_dict, SHA-256 of the file)``, every check of a file on its own done."""
    if not path.is_file():
        raise FileNotFoundError(f"sampler file {str(path)!r} does not exist")
    hint = (
        f"{path} is not a valid sampler file ({SAMPLER_SUFFIX}); "
        "train_sampler.py writes one beside each checkpoint"
    )
    data = path.read_bytes()  # read once: the bytes hashed are the bytes loaded
    payload = _load_payload(path, data, hint)
    metadata = _parse_metadata(path, payload, hint)
    state_dict = payload.get("state_dict")
    _check_state_dict(state_dict, hint)
    _check_metadata_entries(path, metadata, hint)
    _check_weights_hash(path, metadata, state_dict)
    return metadata, state_dict, hashlib.sha256(data).hexdigest()


def _load_payload(path: Path, data: bytes, hint: str) -> dict[str, Any]:
    """The file's payload, loaded weights-only, with its format header and version checked."""
    import torch

    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refused a pickled object: exactly what a crafted file contains.
        raise ValueError(f"{hint}: it holds objects other than weights, refused ({exc})") from None
    except Exception as exc:  # torch raises many types on truncated or foreign files
        if _is_sb3_zip(data):
            hint += "; this looks like a full SB3 .zip checkpoint, which is not safe to share"
        raise ValueError(f"{hint}: truncated, corrupt or of another format ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{hint}: no '{FORMAT}' header")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: sampler format version {payload.get('format_version')} unknown")
    return payload


def _parse_metadata(path: Path, payload: dict[str, Any], hint: str) -> dict[str, Any]:
    """The payload's metadata: JSON text matching its SHA-256 (when stored), holding an object."""
    text = payload.get("metadata")
    if not isinstance(text, str):
        raise ValueError(f"{hint}: metadata missing or not JSON (a {type(text).__name__})")
    if "metadata_sha256" in payload and payload["metadata_sha256"] != _text_sha256(text):
        raise ValueError(
            f"{path}: its metadata does not match its SHA-256: the file is corrupt or was "
            "modified; refused"
        )
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{hint}: metadata missing or not JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise ValueError(
            f"{path} is a malformed sampler file: its metadata must be a JSON object, "
            f"got {type(metadata).__name__}"
        )
    return metadata


def _check_state_dict(state_dict: Any, hint: str) -> None:
    """Refuse a ``state_dict`` that is not a dict of names to tensors."""
    import torch

    if not isinstance(state_dict, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state_dict.items()
    ):
        raise ValueError(f"{hint}: state_dict must map names to tensors")


def _check_metadata_entries(path: Path, metadata: dict[str, Any], hint: str) -> None:
    """Refuse metadata without ``algo`` (a string), ``env`` and ``policy`` (objects)."""
    for key in ("algo", "env", "policy"):
        if key not in metadata:
            raise ValueError(f"{hint}: metadata has no {key!r} entry")
    for key, kind, name in (("algo", str, "a string"), ("env", dict, "an object of settings")):
        if not isinstance(metadata[key], kind):
            raise _malformed(path, key, name, metadata[key])
    if not isinstance(metadata["policy"], dict):
        raise _malformed(path, "policy", "an object", metadata["policy"])


def _check_weights_hash(path: Path, metadata: dict[str, Any], state_dict: dict[str, Any]) -> None:
    """Refuse weights that differ from the hash written with them; warn on legacy files."""
    expected = metadata.get("weights_sha256")
    actual = weights_sha256(state_dict)
    if expected is None:  # written before sampler files carried hashes
        if actual not in KNOWN_LEGACY_WEIGHTS:
            warnings.warn(
                f"{path} has no weights_sha256 (written before sampler files carried hashes): "
                "its weights are loaded unchecked; re-save it with "
                "load_sampler(path).save(path) to add one",
                UserWarning,
                stacklevel=4,
            )
        return
    if not isinstance(expected, str):
        raise _malformed(path, "weights_sha256", "a hex string", expected)
    if expected != actual:
        raise ValueError(
            f"{path}: its weights do not match their SHA-256 (stored {expected[:12]}…, "
            f"computed {actual[:12]}…): the file is corrupt or was modified; refused"
        )


def read_sampler_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``(metadata, state_dict)`` from a sampler file, refusing anything else clearly.

    The header, the metadata's top-level types and the SHA-256 of weights and metadata are
    checked here; the architecture is checked when :func:`load_sampler` rebuilds the policy.
    """
    metadata, state_dict, _ = _read(Path(path))
    return metadata, state_dict


# ------------------------------------------------------------------------------ architecture
def _layers(path: Path, field: str, value: Any) -> list[int]:
    """A list of at most MAX_LAYERS positive layer widths of at most MAX_UNITS."""
    expected = f"a list of at most {MAX_LAYERS} layer widths, each an integer in 1..{MAX_UNITS}"
    if not isinstance(value, list) or len(value) > MAX_LAYERS:
        raise _malformed(path, field, expected, value)
    for units in value:
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
            raise _malformed(path, field, expected, value)
    return value


def _net_arch(path: Path, algo: str, on_policy: bool, kwargs: dict[str, Any]) -> dict[str, list]:
    """The actor (``pi``) and critic/value (``qf``/``vf``) layers the policy would get."""
    second = "vf" if on_policy else "qf"
    field = "policy.policy_kwargs.net_arch"
    arch = kwargs.get("net_arch")
    if arch is None:
        default = _DEFAULT_PI[algo]
        return {"pi": list(default), second: list(default)}
    if on_policy and isinstance(arch, list) and len(arch) == 1 and isinstance(arch[0], dict):
        arch = arch[0]  # SB3's older [dict(pi=..., vf=...)] form, which it still accepts
    if isinstance(arch, list):
        layers = _layers(path, field, arch)
        return {"pi": layers, second: layers}
    if not isinstance(arch, dict) or set(arch) - {"pi", second}:
        expected = f"a list of layer widths or an object with keys 'pi' and {second!r}"
        raise _malformed(path, field, expected, arch)
    if not on_policy and set(arch) != {"pi", second}:
        raise _malformed(path, field, f"an object with both 'pi' and {second!r}", arch)
    return {key: _layers(path, f"{field}.{key}", arch.get(key, [])) for key in ("pi", second)}


def _build_kwargs(
    path: Path, algo: str, on_policy: bool, spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Checked ``policy_kwargs`` to build the policy with, and its architecture."""
    kwargs = spec.get("policy_kwargs", {})
    if not isinstance(kwargs, dict):
        raise _malformed(path, "policy.policy_kwargs", "an object", kwargs)
    arch = _net_arch(path, algo, on_policy, kwargs)
    build = {k: v for k, v in kwargs.items() if k not in ("net_arch", "optimizer_kwargs")}
    for key, value in build.items():  # optimizer settings: irrelevant to a frozen policy
        field = f"policy.policy_kwargs.{key}"
        if key in _CRITIC_ONLY:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _malformed(path, field, "a positive integer", value)
        elif not isinstance(value, (bool, int, float, str, type(None))):
            raise _malformed(path, field, "a number, string, boolean or null", value)
    if on_policy:
        build["net_arch"] = {"pi": arch["pi"], "vf": arch["vf"]}
    else:  # critics are not in the file: the smallest one (its weights are never used)
        build["net_arch"] = {"pi": arch["pi"], "qf": [1]}
        build["n_critics"] = 1
        if "n_quantiles" in kwargs or algo == "tqc":
            build["n_quantiles"] = 1
    return build, arch


def implied_shapes(
    algo: str, arch: dict[str, list[int]], obs_dim: int, kwargs: dict[str, Any]
) -> dict[str, tuple[int, ...]]:
    """The stored tensors' shapes an architecture implies (actor, and value net of PPO/A2C).

    Heads that ``use_sde`` reshapes are left to the check after building, which their size
    (bounded by the last checked layer) makes safe.
    """
    act_dim = 1
    shapes: dict[str, tuple[int, ...]] = {}
    sde = bool(kwargs.get("use_sde", False))
    if algo in ("ppo", "a2c"):
        last_pi = _chain(shapes, "mlp_extractor.policy_net.", arch["pi"], 0, 2, obs_dim)
        last_vf = _chain(shapes, "mlp_extractor.value_net.", arch["vf"], 0, 2, obs_dim)
        shapes["value_net.weight"], shapes["value_net.bias"] = (1, last_vf), (1,)
        if not sde:
            shapes["action_net.weight"] = (act_dim, last_pi)
            shapes["action_net.bias"] = (act_dim,)
            shapes["log_std"] = (act_dim,)
    elif algo in ("td3", "ddpg"):
        _chain(shapes, "actor.mu.", [*arch["pi"], act_dim], 0, 2, obs_dim)
    else:  # sac, tqc, crossq: a latent MLP, then μ and log σ heads
        _latent_actor_shapes(shapes, algo, arch["pi"], obs_dim, kwargs, sde, act_dim)
    return shapes


def _chain(
    shapes: dict[str, tuple[int, ...]],
    prefix: str,
    layers: list[int],
    first: int,
    stride: int,
    width: int,
) -> int:
    """Add the shapes of linear ``layers`` at ``prefix``+index to ``shapes``; the last width."""
    for i, units in enumerate(layers):
        shapes[f"{prefix}{first + stride * i}.weight"] = (units, width)
        shapes[f"{prefix}{first + stride * i}.bias"] = (units,)
        width = units
    return width


def _latent_actor_shapes(
    shapes: dict[str, tuple[int, ...]],
    algo: str,
    pi: list[int],
    obs_dim: int,
    kwargs: dict[str, Any],
    sde: bool,
    act_dim: int,
) -> None:
    """Add the shapes of a SAC-family actor (latent MLP, then μ and log σ heads) to ``shapes``."""
    batch_norm = algo == "crossq" and bool(kwargs.get("batch_norm", True)) and pi
    first, stride = (1, 3) if batch_norm else (0, 2)
    last = _chain(shapes, "actor.latent_pi.", pi, first, stride, obs_dim)
    if batch_norm:  # a batch-renorm layer before each linear one and after the last
        for i, width in enumerate([obs_dim, *pi]):
            for stat in ("scale", "bias", "ra_mean", "ra_var"):
                shapes[f"actor.latent_pi.{3 * i}.{stat}"] = (width,)
            shapes[f"actor.latent_pi.{3 * i}.steps"] = ()
    if not sde:
        for head in ("mu", "log_std"):
            shapes[f"actor.{head}.weight"] = (act_dim, last)
            shapes[f"actor.{head}.bias"] = (act_dim,)


def _check_shapes(
    path: Path, algo: str, expected: dict[str, tuple[int, ...]], state_dict: dict[str, Any]
) -> None:
    """Every layer the architecture implies must be stored, with the same shape."""
    for key, shape in expected.items():
        if key not in state_dict:
            detail = f"missing {key}, which it implies with shape {shape}"
        elif tuple(state_dict[key].shape) != shape:
            detail = f"{key} should be {shape}, the file holds {tuple(state_dict[key].shape)}"
        else:
            continue
        raise ValueError(
            f"{path}: weights do not fit the architecture in the metadata ({algo}): {detail}"
        )


def _rebuild_policy(metadata: dict[str, Any], state_dict: dict[str, Any], path: Path) -> Any:
    """Check the metadata against the weights, then build the whitelisted policy it names."""
    from gymnasium import spaces

    from agents.registry import REFERENCE_POLICIES
    from agents.sb3_agents import ON_POLICY, SB3_ALGOS, policy_class, policy_weights

    algo, spec = metadata["algo"], metadata["policy"]
    if algo in REFERENCE_POLICIES:
        params = spec.get("params", {})
        if not isinstance(params, dict):
            raise _malformed(path, "policy.params", "an object of parameters", params)
        try:
            return REFERENCE_POLICIES[algo](**params)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{path} is a malformed sampler file: metadata field 'policy.params' does not "
                f"fit the {algo} policy: {exc}"
            ) from None
    if algo not in SB3_ALGOS:
        raise ValueError(f"{path}: unknown algorithm {algo!r} in metadata")
    obs_dim = spec.get("obs_dim")
    if isinstance(obs_dim, bool) or not isinstance(obs_dim, int) or not 1 <= obs_dim <= MAX_OBS_DIM:
        raise _malformed(path, "policy.obs_dim", f"an integer in 1..{MAX_OBS_DIM}", obs_dim)
    on_policy = algo in ON_POLICY
    kwargs, arch = _build_kwargs(path, algo, on_policy, spec)
    _check_shapes(path, algo, implied_shapes(algo, arch, obs_dim, kwargs), state_dict)

    observation_space = spaces.Box(0.0, 1.0, shape=(obs_dim,), dtype=np.float32)
    action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
    try:
        policy = policy_class(algo)(observation_space, action_space, lambda _: 0.0, **kwargs)
    except (TypeError, ValueError, AssertionError, KeyError) as exc:
        raise ValueError(
            f"{path} is a malformed sampler file: metadata field 'policy.policy_kwargs' does not "
            f"fit the {algo} policy: {exc}"
        ) from None
    full = policy.state_dict()
    needed = set(policy_weights(algo, full))
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


class Sampler(SamplerAgent):
    """A meta-sampler loaded from a sampler file: ``predict(obs)`` gives μ ∈ [0, 1].

    ``metadata`` holds what it was trained on and under which environment settings. The policy
    is frozen: ``fit`` has nothing to tune, ``learn`` refuses (train from the SB3 checkpoint
    with ``--resume``). ``policy`` is either a reference policy (itself an agent, answering μ)
    or an SB3 policy network (answering an action in [−1, 1]).
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

    def reset_episode(self) -> None:
        """Restart a reference policy that counts its steps (a schedule)."""
        if isinstance(self.policy, SamplerAgent):
            self.policy.reset_episode()

    def predict(
        self, observation: np.ndarray, deterministic: bool = True
    ) -> tuple[np.ndarray, None]:
        """μ in [0, 1]: shape (1,) for one observation, (n, 1) for a batch."""
        from agents.sb3_agents import to_mu

        if isinstance(self.policy, SamplerAgent):  # reference policy: already μ
            return self.policy.predict(observation, deterministic)
        batch, single = as_batch(observation)
        action, _ = self.policy.predict(batch, deterministic=deterministic)
        mu = to_mu(action).reshape(-1, 1)
        return (mu[0] if single else mu), None

    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The file's policy entry and the weights it was rebuilt from."""
        from agents.sb3_agents import policy_weights

        if isinstance(self.policy, SamplerAgent):
            return self.policy.checkpoint_state()
        return dict(self.metadata["policy"]), policy_weights(self.algo, self.policy.state_dict())

    def save(self, path: str | Path) -> None:
        """Write this sampler to another sampler file."""
        write_sampler_file(path, self.metadata, self.checkpoint_state()[1])


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

    ``expected`` names settings (``n_bins``, ``histogram``, ``sigma``, ``progress_obs``: the
    ``EnvSettings.OBSERVATION_FIELDS``) the caller will use; any that differs from the sampler's
    training settings is an error (``mesa_env.check_compatible``). When
    the file belongs to a checkpoint whose ``NAME.json`` lists file hashes, it must be the
    sampler that JSON lists (a mixed set from two runs is refused).
    """
    file = sampler_path(path)
    metadata, state_dict, digest = _read(file)
    check_sampler_in_checkpoint(file, digest, metadata)
    mismatches = check_compatible(metadata["env"], expected)
    if mismatches:
        raise ValueError(f"sampler {file} does not fit these settings: {', '.join(mismatches)}")
    return Sampler(metadata, _rebuild_policy(metadata, state_dict, file))
