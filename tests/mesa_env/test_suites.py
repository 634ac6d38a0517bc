"""The KEEL collection: cache, download checks, the ``.dat`` parser, task suites, suite envs.

Parser, cache and suite-rule tests run offline on small files written here. Tests marked by the
``keel_home`` fixture read the real collection (``make data`` / ``make test`` fill the cache);
without it they skip, except under ``CI=true`` where a missing cache is a failure.
"""

from __future__ import annotations

import hashlib

import gymnasium as gym
import numpy as np
import pytest

import mesa_env
from mesa_env.suites import (
    FIXED_TEST,
    KEEL_NAMES,
    MIN_SUITE_MINORITY,
    TASK_SUITES,
    list_keel_datasets,
    suite,
)


# --------------------------------------------------------------------------- suites
def test_suites_are_disjoint_cover_every_usable_set_and_hold_the_fixed_twelve():
    usable = {f"keel:{n}" for n in list_keel_datasets(MIN_SUITE_MINORITY)}
    train, test = set(TASK_SUITES["keel-train"]), set(TASK_SUITES["keel-test"])
    fit, valid = set(TASK_SUITES["keel-train-fit"]), set(TASK_SUITES["keel-train-valid"])
    assert not train & test and train | test == usable
    assert not fit & valid and fit | valid == train
    assert len(usable) >= 85 and len(KEEL_NAMES) == 100
    assert {f"keel:{n}" for n in FIXED_TEST} <= test and len(FIXED_TEST) == 12
    assert {k: len(v) for k, v in TASK_SUITES.items()} == {
        "keel-train": 58,
        "keel-train-fit": 46,
        "keel-train-valid": 12,
        "keel-test": 32,
    }
    for names in TASK_SUITES.values():
        assert names == sorted(names) and all(n.startswith("keel:") for n in names)


def test_suite_rule_is_the_documented_hash_rule():
    def first(names, salt, k):
        return set(
            sorted(names, key=lambda n: hashlib.sha256(f"{salt}:{n}".encode()).hexdigest())[:k]
        )

    rest = [n for n in list_keel_datasets(10) if n not in FIXED_TEST]
    extra = {f"keel:{n}" for n in first(rest, "keel-test", 20)}
    assert set(TASK_SUITES["keel-test"]) == extra | {f"keel:{n}" for n in FIXED_TEST}
    train = [n.removeprefix("keel:") for n in TASK_SUITES["keel-train"]]
    assert set(TASK_SUITES["keel-train-valid"]) == {
        f"keel:{n}" for n in first(train, "keel-valid", 12)
    }
    assert suite("keel-test") == TASK_SUITES["keel-test"]
    with pytest.raises(KeyError, match="keel-train"):
        suite("keel-nope")


def test_package_exports_and_env_ids():
    assert mesa_env.TASK_SUITES is TASK_SUITES
    assert mesa_env.list_keel_datasets() == list(KEEL_NAMES)
    for env_id, name in mesa_env.SUITE_ENV_IDS.items():
        assert gym.spec(env_id).kwargs["dataset"] == TASK_SUITES[name]


def test_suite_env_resets_on_suite_tasks(keel_home):
    env = gym.make("Mesa-KEEL-test-v0", n_estimators=3)
    suite_names = set(TASK_SUITES["keel-test"])
    assert [t.name for t in env.unwrapped.tasks] == TASK_SUITES["keel-test"]
    seen = set()
    for seed in range(4):
        _, info = env.reset(seed=seed)
        assert info["task"] in suite_names
        seen.add(info["task"])
    obs, _, _, _, info = env.step(np.array([0.5], dtype=np.float32))
    assert env.observation_space.contains(obs) and info["task"] in suite_names
    _, info = env.reset(seed=0, options={"task": TASK_SUITES["keel-test"].index("keel:yeast4")})
    assert info["task"] == "keel:yeast4"
    env.close()


def test_parallel_suite_envs(keel_home):
    envs = gym.make_vec("Mesa-KEEL-train-valid-v0", num_envs=2, n_estimators=3)
    obs, infos = envs.reset(seed=0)
    assert obs.shape == (2, 10)
    assert set(infos["task"]) <= set(TASK_SUITES["keel-train-valid"])
    envs.close()
