"""MESA's ensemble training as a Gymnasium environment: ``gym.make("Mesa-v0")``.

Importing the package registers ``Mesa-v0`` once; ``gym.make("mesa_env:Mesa-v0")`` imports it
on demand in a fresh process.
"""

from gymnasium.envs.registration import register, registry

from mesa_env.data import DATASET_NAMES, Task, load_dataset, make_task
from mesa_env.env import MesaEnv
from mesa_env.metrics import METRICS

__all__ = ["DATASET_NAMES", "METRICS", "MesaEnv", "Task", "load_dataset", "make_task"]
__version__ = "0.1.0"

if "Mesa-v0" not in registry:
    register(id="Mesa-v0", entry_point="mesa_env.env:MesaEnv")
