"""Sampler files never run code when loaded; bad files get clear errors (issue: safe loading)."""

from __future__ import annotations

import base64
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.checkpoint import write_checkpoint
from agents.registry import make_agent
from agents.sampler_file import load_sampler, read_sampler_file, write_sampler_file
from agents.sb3_agents import default_hyperparameters
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


def test_round_trip_predicts_exactly_the_trained_policys_mu(trained):
    agent, paths = trained
    rng = np.random.default_rng(1)
    obs = rng.dirichlet(np.ones(5), size=(256, 2)).reshape(256, 10).astype(np.float32)
    sampler = load_sampler(paths["sampler"])
    np.testing.assert_array_equal(sampler.predict(obs)[0], agent.predict(obs)[0])
    # and it only holds the actor: no critic, no optimizer
    _, state = read_sampler_file(paths["sampler"])
    assert state and all(k.startswith("actor.") for k in state)


def test_truncated_file_is_a_clear_error(trained, tmp_path):
    _, paths = trained
    data = paths["sampler"].read_bytes()
    cut = tmp_path / "cut.sampler.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated, corrupt"):
        load_sampler(cut)


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
