"""A vectorised env that steps its first env in this process and the others in subprocesses.

SB3's :class:`~stable_baselines3.common.vec_env.SubprocVecEnv` runs every env in a worker
process while the training process waits for them: with two envs on two cores, three
processes take turns on two cores at every step, and the waiting parent's wake-ups cost
~1 ms a ``Mesa-v0`` step on this machine (measured from timestamps: the second worker starts
0.4-1 ms after the parent sends its action, the parent resumes ~0.3 ms after the last worker
replies). :class:`HybridVecEnv` sends the other envs their actions, steps env 0 itself, then
collects their results: ``n`` busy processes for ``n`` envs, and one worker fewer to start.

Env 0 is a :class:`~stable_baselines3.common.vec_env.DummyVecEnv`, the rest a
``SubprocVecEnv``, both SB3's own; this class only routes calls and joins their answers in the
order asked, so every env sees the same seed, actions and resets as under ``SubprocVecEnv``
and the outputs are its outputs to the bit (env 0's reward buffer holds float64, as
``SubprocVecEnv`` returns rewards, where ``DummyVecEnv`` would round them to float32).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

__all__ = ["HybridVecEnv"]


class HybridVecEnv(VecEnv):
    """SB3 ``VecEnv``: env 0 in this process, envs 1 … n−1 in a ``SubprocVecEnv``.

    For ``n`` envs on ``n`` cores, where the training process would otherwise wait idle beside
    ``n`` workers (see the module docstring). Observation spaces must be ``Box`` (the envs'
    observations are joined as one array). ``start_method`` is ``SubprocVecEnv``'s.
    """

    def __init__(
        self, env_fns: Sequence[Callable[[], gym.Env]], start_method: str | None = None
    ) -> None:
        if len(env_fns) < 2:
            raise ValueError(
                f"HybridVecEnv needs at least 2 envs (one here, the rest in subprocesses); got "
                f"{len(env_fns)}: use DummyVecEnv for one env"
            )
        self.local = DummyVecEnv([env_fns[0]])
        # SubprocVecEnv returns rewards as float64 (np.stack of the envs' floats), DummyVecEnv
        # through a float32 buffer: env 0's buffer holds float64, so no reward is rounded.
        self.local.buf_rews = np.zeros(1, dtype=np.float64)
        if not isinstance(self.local.observation_space, gym.spaces.Box):
            self.local.close()
            raise ValueError(
                "HybridVecEnv joins observations as one array and needs a Box observation "
                f"space; got {self.local.observation_space}: use SubprocVecEnv"
            )
        try:
            self.workers = SubprocVecEnv(list(env_fns[1:]), start_method=start_method)
        except BaseException:
            self.local.close()
            raise
        self._local_actions: np.ndarray | None = None
        try:  # VecEnv's set-up asks every env for its render mode
            super().__init__(len(env_fns), self.local.observation_space, self.local.action_space)
        except BaseException:
            self.close()
            raise

    def reset(self) -> np.ndarray:
        """Reset every env with its seed and options (then forgotten, as SB3 does)."""
        self.local._seeds, self.workers._seeds = self._seeds[:1], self._seeds[1:]
        self.local._options, self.workers._options = self._options[:1], self._options[1:]
        observations = np.concatenate([self.local.reset(), self.workers.reset()])
        self._join_reset_infos()
        self._reset_seeds()
        self._reset_options()
        return observations

    def step_async(self, actions: np.ndarray) -> None:
        """Send the workers their actions; env 0's is stepped in :meth:`step_wait`."""
        self.workers.step_async(actions[1:])
        self._local_actions = actions[:1]

    def step_wait(self) -> VecEnvStepReturn:
        """Step env 0 here while the workers step, then join the results in env order."""
        if self._local_actions is None:
            raise RuntimeError("step_wait called without step_async")
        actions, self._local_actions = self._local_actions, None
        try:
            local = self.local.step(actions)
        finally:  # the workers' answers are read even if env 0 failed: the pipes stay in step
            remote = self.workers.step_wait()
        self._join_reset_infos()
        observations, rewards, dones = (
            np.concatenate([a, b]) for a, b in zip(local[:3], remote[:3], strict=True)
        )
        return observations, rewards, dones, [*local[3], *remote[3]]

    def _join_reset_infos(self) -> None:
        self.reset_infos = [*self.local.reset_infos, *self.workers.reset_infos]

    def close(self) -> None:
        """Close the workers, then env 0."""
        try:
            self.workers.close()
        finally:
            self.local.close()

    def get_images(self) -> Sequence[np.ndarray | None]:
        """Every env's image, in env order."""
        return [*self.local.get_images(), *self.workers.get_images()]

    def _gather(
        self,
        indices: VecEnvIndices,
        here: Callable[[list[int]], list[Any]],
        there: Callable[[list[int]], list[Any]],
    ) -> list[Any]:
        """One answer per env in ``indices``, in their order, from env 0 and the workers.

        Indices are SB3's (``None``, an int or a sequence; negative ones count from the end,
        out-of-range ones raise ``IndexError``); ``here`` gets env 0's, ``there`` the workers'
        own (index − 1), each called once at most.
        """
        chosen = [range(self.num_envs)[i] for i in self._get_indices(indices)]
        local_indices = [i for i in chosen if i == 0]
        worker_indices = [i - 1 for i in chosen if i > 0]
        local = iter(here(local_indices) if local_indices else [])
        remote = iter(there(worker_indices) if worker_indices else [])
        return [next(local) if i == 0 else next(remote) for i in chosen]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """The attribute of each env in ``indices``, in their order."""
        return self._gather(
            indices,
            lambda here: self.local.get_attr(attr_name, here),
            lambda there: self.workers.get_attr(attr_name, there),
        )

    def has_attr(self, attr_name: str) -> bool:
        """Whether every env has the attribute (asked as each part asks, never by raising)."""
        return self.local.has_attr(attr_name) and self.workers.has_attr(attr_name)

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set the attribute in each env in ``indices``."""

        def set_in(part: VecEnv, part_indices: list[int]) -> list[None]:
            part.set_attr(attr_name, value, part_indices)
            return [None] * len(part_indices)

        self._gather(
            indices,
            lambda here: set_in(self.local, here),
            lambda there: set_in(self.workers, there),
        )

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Call the method of each env in ``indices``; their results, in their order."""
        return self._gather(
            indices,
            lambda here: self.local.env_method(
                method_name, *method_args, indices=here, **method_kwargs
            ),
            lambda there: self.workers.env_method(
                method_name, *method_args, indices=there, **method_kwargs
            ),
        )

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        """Whether each env in ``indices`` is wrapped with ``wrapper_class``, in their order."""
        return self._gather(
            indices,
            lambda here: self.local.env_is_wrapped(wrapper_class, here),
            lambda there: self.workers.env_is_wrapped(wrapper_class, there),
        )
