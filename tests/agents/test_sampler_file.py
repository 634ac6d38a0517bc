"""Sampler files never run code when loaded; bad files get clear errors (issue: safe loading).

Also: weights and metadata carry SHA-256 hashes, the architecture is checked against the stored
tensors and a bound before anything is built, and malformed metadata is a ValueError.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from agents import sampler_file
from agents.checkpoint import write_checkpoint
from agents.classifier import DEFAULT_SAMPLER
from agents.registry import make_agent
from agents.sampler_file import (
    KNOWN_LEGACY_WEIGHTS,
    MAX_LAYERS,
    MAX_UNITS,
    load_sampler,
    read_sampler_file,
    weights_sha256,
    write_sampler_file,
)
from agents.sb3_agents import SB3_ALGOS, default_hyperparameters
from agents.training import build_vec_env, env_settings


class _TouchOnUnpickle:
    """Unpickling this object creates ``path``: the payload of a crafted checkpoint."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def crafted_sb3_zip(path: Path, marker: Path) -> Path:
    """An SB3-style zip whose pickled parts would create ``marker`` when unpickled."""
    payload = base64.b64encode(pickle.dumps(_TouchOnUnpickle(marker))).decode()
    data = {
        "policy_class": {":type:": "<class 'abc.ABCMeta'>", ":serialized:": payload},
        "observation_space": {
            ":type:": "<class 'gymnasium.spaces.box.Box'>",
            ":serialized:": payload,
        },
        "action_space": {":type:": "<class 'gymnasium.spaces.box.Box'>", ":serialized:": payload},
    }
    policy = io.BytesIO()
    torch.save({"evil": _TouchOnUnpickle(marker)}, policy)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data", json.dumps(data))
        archive.writestr("policy.pth", policy.getvalue())
        archive.writestr("_stable_baselines3_version", "2.9.2")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A briefly trained SAC sampler written as a checkpoint."""
    tmp = tmp_path_factory.mktemp("ck")
    settings = env_settings(n_estimators=3)
    hp = default_hyperparameters("sac", n_estimators=3) | {"learning_starts": 10, "batch_size": 8}
    agent = make_agent("sac", build_vec_env(["toy-less"], settings, seed=0), hyperparameters=hp)
    agent.learn(40)
    paths = write_checkpoint(agent, tmp / "sac", {"env": settings, "datasets": ["toy-less"]})
    return agent, paths


# ----------------------------------------------------------------- integrity (issue: bit flips)
def _flip_bit_in_weights(paths, tmp_path) -> Path:
    """The sampler file with one exponent bit of its first weight flipped, as on a bad disk."""
    _, state = read_sampler_file(paths["sampler"])
    data = bytearray(paths["sampler"].read_bytes())
    where = data.find(state["actor.latent_pi.0.weight"].numpy().tobytes()[:64])
    assert where > 0
    data[where + 3] ^= 0x40  # float32, little-endian: byte 3 holds the exponent's top bits
    flipped = tmp_path / "flipped.sampler.pt"
    flipped.write_bytes(bytes(data))
    return flipped


def _legacy_payload(metadata, state):
    """A sampler file as written before hashes existed."""
    metadata = {k: v for k, v in metadata.items() if k != "weights_sha256"}
    return {
        "format": "mesa-sampler",
        "format_version": 1,
        "metadata": json.dumps(metadata),
        "state_dict": state,
    }


# ----------------------------------------------------------------- architecture before building
@pytest.fixture
def no_policy_built(monkeypatch):
    """Fail the test if a policy is constructed."""
    import agents.sb3_agents

    def refuse(algo):
        raise AssertionError(f"a {algo} policy was built before the checks")

    monkeypatch.setattr(agents.sb3_agents, "policy_class", refuse)


_ARCHS = [
    {},
    {"net_arch": [7, 6]},
    {"net_arch": {"pi": [], "qf": [3]}},
    {"net_arch": {"pi": [9], "qf": [3]}, "use_sde": True},
    {"net_arch": {"pi": [5, 4], "qf": [3]}, "batch_norm": False},
]


# ----------------------------------------------------------------- malformed metadata types
def _set(path: str, value):
    def mutate(metadata):
        node = metadata
        *parents, last = path.split(".")
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


_MALFORMED = [
    ("env", _set("env", [1, 2]), "'env'"),
    ("env-str", _set("env", "n_bins=5"), "'env'"),
    ("policy", _set("policy", ["sb3"]), "'policy'"),
    ("algo", _set("algo", 3), "'algo'"),
    ("algo-list", _set("algo", ["sac"]), "'algo'"),
    ("obs_dim", _set("policy.obs_dim", "10"), "'policy.obs_dim'"),
    ("obs_dim-float", _set("policy.obs_dim", 10.0), "'policy.obs_dim'"),
    ("obs_dim-huge", _set("policy.obs_dim", 10**9), "'policy.obs_dim'"),
    ("obs_dim-missing", lambda m: m["policy"].pop("obs_dim"), "'policy.obs_dim'"),
    ("policy_kwargs", _set("policy.policy_kwargs", [["pi", 50]]), "'policy.policy_kwargs'"),
    ("net_arch", _set("policy.policy_kwargs.net_arch", {"pi": [50]}), "net_arch"),
    ("net_arch-key", _set("policy.policy_kwargs.net_arch.vf", [50]), "net_arch"),
    ("kwarg-dict", _set("policy.policy_kwargs.log_std_init", {"x": 1}), "log_std_init"),
    ("kwarg-unknown", _set("policy.policy_kwargs.bogus", 1), "'policy.policy_kwargs'"),
    ("n_critics", _set("policy.policy_kwargs.n_critics", "2"), "n_critics"),
    ("weights_sha256", _set("weights_sha256", 12), "'weights_sha256'"),
]


def _write_raw(path: Path, metadata, state) -> None:
    """Write a sampler file with exactly this metadata (write_sampler_file adds the hash)."""
    text = json.dumps(metadata)
    payload = {"format": "mesa-sampler", "format_version": 1, "metadata": text}
    torch.save({**payload, "state_dict": state}, path)


def test_the_crafted_zip_really_runs_code_under_sb3s_loader(tmp_path):
    """Guards the tests below: the payload is live, so their 'no marker' means something."""
    from stable_baselines3 import SAC

    marker = tmp_path / "pwned"
    crafted = crafted_sb3_zip(tmp_path / "evil.zip", marker)
    with pytest.raises(Exception):  # noqa: B017 - whatever SB3 raises after unpickling
        SAC.load(crafted)
    assert marker.exists()


@pytest.mark.parametrize("name", ["evil.zip", "evil.sampler.pt", "evil"])
def test_load_sampler_refuses_a_crafted_sb3_zip_without_running_it(tmp_path, name):
    marker = tmp_path / "pwned"
    crafted = crafted_sb3_zip(tmp_path / name, marker)
    with pytest.raises(ValueError, match=r"SB3|not a valid sampler file"):
        load_sampler(crafted)
    assert not marker.exists()


def test_a_pickled_object_inside_a_sampler_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.sampler.pt"
    torch.save({"format": "mesa-sampler", "payload": _TouchOnUnpickle(marker)}, evil)
    with pytest.raises(ValueError, match="refused"):
        load_sampler(evil)
    assert not marker.exists()


def test_mesa_classifier_refuses_a_crafted_file(tmp_path):
    MesaClassifier = pytest.importorskip("agents.classifier").MesaClassifier
    marker = tmp_path / "pwned"
    crafted = crafted_sb3_zip(tmp_path / "evil.zip", marker)
    from sklearn.datasets import make_classification

    X, y = make_classification(200, weights=[0.9], random_state=0)
    with pytest.raises(ValueError):
        MesaClassifier(sampler=str(crafted)).fit(X, y)
    assert not marker.exists()


@pytest.mark.expensive
def test_round_trip_predicts_exactly_the_trained_policys_mu(trained):
    agent, paths = trained
    rng = np.random.default_rng(1)
    obs = rng.dirichlet(np.ones(5), size=(256, 2)).reshape(256, 10).astype(np.float32)
    sampler = load_sampler(paths["sampler"])
    np.testing.assert_array_equal(sampler.predict(obs)[0], agent.predict(obs)[0])
    # and it only holds the actor: no critic, no optimizer
    _, state = read_sampler_file(paths["sampler"])
    assert state and all(k.startswith("actor.") for k in state)


@pytest.mark.expensive
def test_truncated_file_is_a_clear_error(trained, tmp_path):
    _, paths = trained
    data = paths["sampler"].read_bytes()
    cut = tmp_path / "cut.sampler.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated, corrupt"):
        load_sampler(cut)


@pytest.mark.expensive
def test_weights_that_do_not_fit_the_metadata_are_refused(trained, tmp_path):
    _, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    metadata["policy"]["policy_kwargs"] = {"net_arch": {"pi": [64], "qf": [50, 50]}}
    write_sampler_file(tmp_path / "bad.sampler.pt", metadata, state)
    with pytest.raises(ValueError, match="do not fit the architecture"):
        load_sampler(tmp_path / "bad.sampler.pt")
    metadata, state = read_sampler_file(paths["sampler"])
    state.pop(next(iter(state)))
    write_sampler_file(tmp_path / "missing.sampler.pt", metadata, state)
    with pytest.raises(ValueError, match="missing"):
        load_sampler(tmp_path / "missing.sampler.pt")


@pytest.mark.expensive
def test_missing_metadata_and_wrong_format_are_refused(trained, tmp_path):
    _, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    del metadata["env"]
    write_sampler_file(tmp_path / "nometa.sampler.pt", metadata, state)
    with pytest.raises(ValueError, match="no 'env' entry"):
        load_sampler(tmp_path / "nometa.sampler.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "plain.sampler.pt")
    with pytest.raises(ValueError, match="header"):
        load_sampler(tmp_path / "plain.sampler.pt")
    (tmp_path / "text.sampler.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a valid sampler file"):
        load_sampler(tmp_path / "text.sampler.pt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_sampler(tmp_path / "nowhere.sampler.pt")
    (tmp_path / "lonely.zip").write_bytes(paths["model"].read_bytes())
    with pytest.raises(ValueError, match="full SB3 checkpoint"):
        load_sampler(tmp_path / "lonely.zip")


@pytest.mark.expensive
def test_a_bit_flipped_weight_is_refused(trained, tmp_path):
    _, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    assert metadata["weights_sha256"] == weights_sha256(state)
    flipped = _flip_bit_in_weights(paths, tmp_path)
    with pytest.raises(ValueError, match=r"weights do not match their SHA-256"):
        load_sampler(flipped)


@pytest.mark.expensive
def test_a_bit_flipped_metadata_setting_is_refused(trained, tmp_path):
    _, paths = trained
    data = paths["sampler"].read_bytes()
    assert data.count(b'"sigma": 0.2') == 1
    changed = tmp_path / "sigma.sampler.pt"
    changed.write_bytes(data.replace(b'"sigma": 0.2', b'"sigma": 0.3'))  # one bit: 0x32 → 0x33
    with pytest.raises(ValueError, match=r"metadata does not match its SHA-256"):
        load_sampler(changed)


def test_the_weights_hash_covers_names_dtypes_and_shapes():
    base = {"a": torch.arange(6, dtype=torch.float32)}
    variants = [
        {"b": torch.arange(6, dtype=torch.float32)},  # another name
        {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3)},  # another shape
        {"a": torch.arange(6, dtype=torch.float32).view(torch.int32)},  # same bytes, other dtype
        {"a": torch.arange(1, 7, dtype=torch.float32)},  # other values
    ]
    hashes = {weights_sha256(base), *(weights_sha256(v) for v in variants)}
    assert len(hashes) == 1 + len(variants)
    assert weights_sha256(base) == weights_sha256({"a": torch.arange(6.0).clone()})


@pytest.mark.expensive
def test_legacy_files_without_a_hash_load_with_a_warning(trained, tmp_path):
    agent, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    torch.save(_legacy_payload(metadata, state), tmp_path / "old.sampler.pt")
    with pytest.warns(UserWarning, match="no weights_sha256"):
        sampler = load_sampler(tmp_path / "old.sampler.pt")
    obs = np.full((4, 10), 0.1, dtype=np.float32)
    np.testing.assert_array_equal(sampler.predict(obs)[0], agent.predict(obs)[0])
    sampler.save(tmp_path / "resaved.sampler.pt")  # re-saving adds the hash
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_sampler(tmp_path / "resaved.sampler.pt")
    np.testing.assert_array_equal(again.predict(obs)[0], agent.predict(obs)[0])


def test_the_shipped_default_sampler_carries_hashes_and_loads_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = load_sampler(DEFAULT_SAMPLER, n_bins=5, histogram="all", sigma=0.2)
    _, state = read_sampler_file(DEFAULT_SAMPLER)
    assert sampler.metadata["weights_sha256"] == weights_sha256(state)
    assert sampler.metadata["provenance"]["suites"] == ["keel-train-fit"]


@pytest.mark.parametrize("path", ["checkpoints/mesa_default"])
def test_the_shipped_legacy_sampler_loads_silently_and_its_weights_are_pinned(path):
    root = Path(__file__).resolve().parents[2]
    path = path if Path(path).is_absolute() else root / path
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = load_sampler(path, n_bins=5, histogram="all", sigma=0.2)
    assert "weights_sha256" not in sampler.metadata  # a legacy file: pinned, not rewritten
    _, state = read_sampler_file(path if str(path).endswith(".pt") else f"{path}.sampler.pt")
    assert weights_sha256(state) in KNOWN_LEGACY_WEIGHTS


@pytest.mark.parametrize(
    ("pi", "match"),
    [
        ([10**6, 10**6], "malformed.*net_arch.pi"),
        ([4000, 4000], r"do not fit the architecture.*\(4000, 10\)"),
        ([MAX_UNITS + 1], "malformed.*net_arch.pi"),
        ([50] * (MAX_LAYERS + 1), "malformed.*net_arch.pi"),
        ([0], "malformed.*net_arch.pi"),
        ([-50], "malformed.*net_arch.pi"),
        (["50"], "malformed.*net_arch.pi"),
        ([50.0], "malformed.*net_arch.pi"),
        ([True], "malformed.*net_arch.pi"),
        ("50", "malformed.*net_arch.pi"),
        ([64], r"do not fit the architecture.*\(64, 10\)"),
        ([50, 50], "do not fit the architecture.*missing actor.latent_pi.2.weight"),
    ],
)
def test_the_architecture_is_checked_before_anything_is_built(
    trained, tmp_path, no_policy_built, pi, match
):
    _, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    metadata["policy"]["policy_kwargs"] = {"net_arch": {"pi": pi, "qf": [50, 50]}}
    write_sampler_file(tmp_path / "big.sampler.pt", metadata, state)
    with pytest.raises(ValueError, match=match):
        load_sampler(tmp_path / "big.sampler.pt")


@pytest.mark.expensive
def test_the_critic_size_in_the_metadata_allocates_nothing(trained, tmp_path):
    """Critics are not in the file: a loaded sampler gets the smallest one, whatever qf says."""
    agent, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    metadata["policy"]["policy_kwargs"] = {
        "net_arch": {"pi": [50], "qf": [MAX_UNITS] * MAX_LAYERS},
        "n_critics": 10**9,
    }
    write_sampler_file(tmp_path / "wide.sampler.pt", metadata, state)
    sampler = load_sampler(tmp_path / "wide.sampler.pt")
    assert sum(p.numel() for p in sampler.policy.parameters()) < 10_000
    obs = np.full((3, 10), 0.3, dtype=np.float32)
    np.testing.assert_array_equal(sampler.predict(obs)[0], agent.predict(obs)[0])
    assert sampler.metadata["policy"]["policy_kwargs"]["n_critics"] == 10**9  # kept as written


@pytest.mark.parametrize("algo", sorted(SB3_ALGOS))
@pytest.mark.parametrize("kwargs", _ARCHS, ids=lambda k: json.dumps(k))
def test_implied_shapes_are_those_of_the_real_policy(algo, kwargs):
    """Guards the hand-written shape table against SB3's actual modules."""
    from gymnasium import spaces

    from agents.sb3_agents import ON_POLICY, policy_class

    on_policy = algo in ON_POLICY
    kwargs = dict(kwargs)
    if algo != "crossq":
        kwargs.pop("batch_norm", None)
    if on_policy and isinstance(kwargs.get("net_arch"), dict):
        kwargs["net_arch"] = {"pi": kwargs["net_arch"]["pi"], "vf": [3]}
    if algo in ("td3", "ddpg", "crossq") and kwargs.get("use_sde"):
        pytest.skip(f"{algo} has no gSDE")
    obs_space = spaces.Box(0.0, 1.0, shape=(6,), dtype=np.float32)
    act_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
    real = policy_class(algo)(obs_space, act_space, lambda _: 0.0, **kwargs).state_dict()
    stored = real if on_policy else {k: v for k, v in real.items() if k.startswith("actor.")}
    build, arch = sampler_file._build_kwargs(Path("x"), algo, on_policy, {"policy_kwargs": kwargs})
    implied = sampler_file.implied_shapes(algo, arch, 6, build)
    assert implied, "nothing checked"
    assert {k: tuple(stored[k].shape) for k in implied if k in stored} == implied
    linear = {k for k, v in stored.items() if k.endswith(".weight") and v.dim() == 2}
    unchecked = linear - set(implied)
    assert not unchecked or kwargs.get("use_sde"), unchecked  # every linear layer is checked


@pytest.mark.parametrize(("name", "mutate", "field"), _MALFORMED, ids=[m[0] for m in _MALFORMED])
def test_malformed_metadata_is_a_value_error_naming_the_field(
    trained, tmp_path, name, mutate, field
):
    _, paths = trained
    metadata, state = read_sampler_file(paths["sampler"])
    mutate(metadata)
    path = tmp_path / f"{name}.sampler.pt"
    if name == "weights_sha256":
        _write_raw(path, metadata, state)
    else:
        write_sampler_file(path, metadata, state)
    with pytest.raises(ValueError, match="malformed") as error:
        load_sampler(path, n_bins=5)
    assert field in str(error.value)


@pytest.mark.parametrize(
    ("params", "field"),
    [([0.5], "'policy.params'"), ("mu=0.5", "'policy.params'"), ({"mu": "high"}, "params"),
     ({"mu": [0.5]}, "params"), ({"bogus": 1}, "params")],
)  # fmt: skip
def test_malformed_reference_params_are_a_value_error(tmp_path, params, field):
    metadata = {"algo": "constant", "env": env_settings(), "policy": {"params": params}}
    write_sampler_file(tmp_path / "ref.sampler.pt", metadata, {})
    with pytest.raises(ValueError, match="malformed") as error:
        load_sampler(tmp_path / "ref.sampler.pt")
    assert field in str(error.value)


def test_metadata_that_is_not_an_object_is_refused(tmp_path):
    torch.save(
        {"format": "mesa-sampler", "format_version": 1, "metadata": "[1, 2]", "state_dict": {}},
        tmp_path / "list.sampler.pt",
    )
    with pytest.raises(ValueError, match=r"malformed.*JSON object"):
        load_sampler(tmp_path / "list.sampler.pt")


def test_load_sampler_still_checks_the_callers_settings(tmp_path):
    metadata = {"algo": "constant", "env": env_settings(), "policy": {"params": {"mu": 0.7}}}
    write_sampler_file(tmp_path / "c.sampler.pt", metadata, {})
    sampler = load_sampler(tmp_path / "c.sampler.pt", n_bins=5, sigma=None, histogram="all")
    assert sampler.predict(np.zeros(10, dtype=np.float32))[0][0] == pytest.approx(0.7)
    with pytest.raises(ValueError, match=r"n_bins=7 \(trained with 5\).*progress_obs=True"):
        load_sampler(tmp_path / "c.sampler.pt", n_bins=7, progress_obs=True)
