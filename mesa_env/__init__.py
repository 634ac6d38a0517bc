"""MESA's ensemble training as a Gymnasium environment: ``gym.make("Mesa-v0")``.

Importing the package registers ``Mesa-v0`` once; ``gym.make("mesa_env:Mesa-v0")`` imports it
on demand in a fresh process. It also registers one env per KEEL task suite (``docs/keel.md``):
``Mesa-KEEL-train-v0``, ``Mesa-KEEL-train-fit-v0``, ``Mesa-KEEL-train-valid-v0`` and
``Mesa-KEEL-test-v0``, a ``MesaEnv`` whose ``reset`` draws a task from the suite (App. A.3).
"""

from gymnasium.envs.registration import register, registry

from mesa_env.data import DATASET_NAMES, Task, load_dataset, make_task
from mesa_env.env import MesaEnv
from mesa_env.metrics import METRICS
from mesa_env.settings import EnvSettings, check_compatible
from mesa_env.suites import KEEL_NAMES, TASK_SUITES, list_keel_datasets

__all__ = [
    "DATASET_NAMES",
    "KEEL_NAMES",
    "METRICS",
    "SUITE_ENV_IDS",
    "TASK_SUITES",
    "EnvSettings",
    "MesaEnv",
    "Task",
    "check_compatible",
    "list_keel_datasets",
    "load_dataset",
    "make_task",
]
__version__ = "0.1.0"

if "Mesa-v0" not in registry:
    register(id="Mesa-v0", entry_point="mesa_env.env:MesaEnv")

#: Env id → the task suite its ``reset`` draws from.
SUITE_ENV_IDS = {
    "Mesa-KEEL-train-v0": "keel-train",
    "Mesa-KEEL-train-fit-v0": "keel-train-fit",
    "Mesa-KEEL-train-valid-v0": "keel-train-valid",
    "Mesa-KEEL-test-v0": "keel-test",
}
for _env_id, _suite in SUITE_ENV_IDS.items():
    if _env_id not in registry:
        register(
            id=_env_id,
            entry_point="mesa_env.env:MesaEnv",
            kwargs={"dataset": list(TASK_SUITES[_suite])},
        )
