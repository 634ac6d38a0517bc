"""``mesa_env.EnvSettings``: the one source of the environment's defaults and compatibility."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

import mesa_env.settings as settings_module
from agents import classifier as classifier_module
from agents import sampler_file, train_cli
from agents.classifier import DEFAULT_SAMPLER, MesaClassifier
from agents.training import DEFAULT_REWARD_SCALE, env_settings
from mesa_env import EnvSettings, MesaEnv, check_compatible

NOT_SETTINGS = ("dataset", "estimator", "base_estimator", "render_mode")


def _signature_defaults(function) -> dict:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if name != "self" and name not in NOT_SETTINGS
    }


def test_defaults_are_mesa_env_signature_defaults_in_order():
    signature = _signature_defaults(MesaEnv.__init__)
    assert EnvSettings().as_dict() == signature
    assert list(EnvSettings().as_dict()) == list(signature)  # same order
    assert EnvSettings.field_names() == tuple(signature)
    assert settings_module.defaults() == EnvSettings()


def test_the_documented_numbers():
    assert EnvSettings().as_dict() == {
        "n_estimators": 10, "n_bins": 5, "sigma": 0.2, "metric": "aucprc", "reward_scale": 1.0,
        "histogram": "all", "train_ratio": 1.0, "label_noise": 0.0, "split_seed": 0,
        "progress_obs": False, "info_scores": "final",
    }  # fmt: skip
    assert EnvSettings.OBSERVATION_FIELDS == ("n_bins", "histogram", "sigma", "progress_obs")
    assert EnvSettings().observation() == {
        "n_bins": 5,
        "histogram": "all",
        "sigma": 0.2,
        "progress_obs": False,
    }


def test_env_settings_reads_the_same_defaults():
    recorded = env_settings()
    expected = {k: v for k, v in EnvSettings().as_dict().items() if k != "info_scores"}
    assert recorded == {**expected, "reward_scale": DEFAULT_REWARD_SCALE}
    assert list(recorded) == list(EnvSettings.run_fields())
    assert env_settings(sigma=None) == recorded  # None keeps the default
    with pytest.raises(ValueError, match=r"unknown environment setting\(s\) \['info_scores'\]"):
        env_settings(info_scores="every_step")  # not recorded by a checkpoint, as before


def test_sampler_file_and_classifier_check_the_observation_fields():
    assert sampler_file.CHECKED_SETTINGS == EnvSettings.OBSERVATION_FIELDS
    assert classifier_module._SETTINGS == ("n_bins", "histogram", "sigma")
    assert set(classifier_module._SETTINGS) <= set(EnvSettings.OBSERVATION_FIELDS)
    assert _signature_defaults(MesaClassifier.__init__)["n_estimators"] == 10


def test_classifier_reads_the_same_defaults():
    _, used = MesaClassifier()._load_sampler()  # constant μ = 1: no training settings
    assert used == EnvSettings().observation()


def test_a_changed_default_is_seen_everywhere(monkeypatch):
    changed = EnvSettings().replace(sigma=0.35, n_bins=7, n_estimators=12)
    monkeypatch.setattr(settings_module, "DEFAULTS", changed)
    assert settings_module.defaults() is changed
    recorded = env_settings()
    assert (recorded["sigma"], recorded["n_bins"], recorded["n_estimators"]) == (0.35, 7, 12)
    assert recorded["reward_scale"] == DEFAULT_REWARD_SCALE  # SAC's preset still applies
    _, used = MesaClassifier()._load_sampler()
    assert used == {"n_bins": 7, "histogram": "all", "sigma": 0.35, "progress_obs": False}
    args = train_cli.parse_args([])
    assert (args.sigma, args.n_bins, args.n_estimators) == (0.35, 7, 12)
    assert args.reward_scale is None  # filled in per agent by agents.training


def test_replace_validates_names_and_types():
    base = EnvSettings()
    assert base.replace(sigma=0.3).sigma == 0.3 and base.sigma == 0.2  # a copy
    assert base.replace(progress_obs=np.bool_(True)).progress_obs
    with pytest.raises(ValueError, match=r"unknown environment setting\(s\) \['colour'\]") as err:
        base.replace(colour=1)
    assert "known: n_estimators, n_bins, sigma" in str(err.value)
    with pytest.raises(TypeError, match="progress_obs must be a bool"):
        base.replace(progress_obs="false")
    with pytest.raises(TypeError, match="progress_obs must be a bool"):
        EnvSettings(progress_obs=1)
    with pytest.raises(TypeError, match="n_bins must be an integer"):
        base.replace(n_bins=True)
    with pytest.raises(TypeError, match="sigma must be a real number"):
        base.replace(sigma="0.2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.sigma = 0.3  # type: ignore[misc]


def test_check_compatible_messages():
    trained = env_settings()
    assert check_compatible(trained, {"sigma": 0.2, "n_bins": None}) == []
    assert check_compatible(trained, {"n_bins": 10, "sigma": 0.3}) == [
        "n_bins=10 (trained with 5)",
        "sigma=0.3 (trained with 0.2)",
    ]
    assert check_compatible(trained, {"n_estimators": 50, "metric": "f1"}) == []  # not observed
    assert check_compatible({}, {"progress_obs": True}) == ["progress_obs=True (trained with None)"]
    assert check_compatible({}, {"progress_obs": True}, strict=False) == []


def test_load_sampler_and_classifier_report_mismatches_through_it():
    with pytest.raises(ValueError, match=r"does not fit these settings: sigma=0.3 \(trained with"):
        sampler_file.load_sampler(DEFAULT_SAMPLER, sigma=0.3)

    class Agent:
        def __init__(self):
            self.metadata = {"env": {"n_bins": 5, "histogram": "all"}}

        def predict(self, obs, deterministic=True):
            return np.array([0.5]), None

    with pytest.raises(
        ValueError, match=r"conflict with the sampler's: n_bins=3 \(trained with 5\)"
    ):
        MesaClassifier(sampler=Agent(), n_bins=3)._load_sampler()
    _, used = MesaClassifier(sampler=Agent(), sigma=0.3)._load_sampler()  # sigma not recorded
    assert used["sigma"] == 0.3


@pytest.mark.parametrize("key", ["colour", "info_scores"])
def test_evaluate_meta_env_keys_are_checked_against_the_settings(key, capsys):
    from mesa_evaluation import cli as evaluate_cli  # here: the other tests need no evaluation

    with pytest.raises(SystemExit) as info:
        evaluate_cli.parse_args(["--meta-train", "600", "--meta-env", f"{key}=1"])
    assert info.value.code == 2
    assert f"unknown environment setting {key!r}; known: n_estimators" in capsys.readouterr().err
    args = evaluate_cli.parse_args(["--meta-train", "600", "--meta-env", "sigma=0.3"])
    assert args.meta_env == [("sigma", 0.3)]
