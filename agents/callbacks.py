"""TensorBoard curves of meta-training: what a user watches while a sampler learns.

Per finished episode (step = total timesteps so far): the final ensemble's train/valid/test
score, the episode's validation gain (the return before ``reward_scale``), the mean μ; a
histogram of the μ chosen; and every ``figure_every`` episodes and at the end of training a
figure of μ against the ensemble step over recent episodes, like the paper's Fig. 8. SB3 writes
its own losses to the same run. A figure costs ~0.1 s (the first ~0.7 s: matplotlib's import),
so the default of one every 100 episodes keeps the default run's logging under 0.5 s.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["TrainingMonitorCallback"]


class TrainingMonitorCallback(BaseCallback):
    """Log MESA's per-episode scores and the sampler's μ; keep a summary for checkpoints."""

    def __init__(self, reward_scale: float = 1.0, figure_every: int = 100, window: int = 20):
        super().__init__()
        self.reward_scale = reward_scale
        self.figure_every = figure_every
        self.recent: deque[dict[str, Any]] = deque(maxlen=window)
        self.episodes = 0
        self._writer: Any = None
        self._mus: list[list[float]] = []
        self._returns: list[float] = []

    def _on_training_start(self) -> None:
        n_envs = self.training_env.num_envs
        self._mus = [[] for _ in range(n_envs)]
        self._returns = [0.0] * n_envs
        log_dir = self.logger.get_dir() if self.model.tensorboard_log else None
        if log_dir:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir)

    def _on_step(self) -> bool:
        infos, dones, rewards = self.locals["infos"], self.locals["dones"], self.locals["rewards"]
        for i, (info, done) in enumerate(zip(infos, dones, strict=True)):
            self._mus[i].append(float(info["mu"]))
            self._returns[i] += float(rewards[i])
            if done:
                self._finish_episode(info, self._mus[i], self._returns[i])
                self._mus[i], self._returns[i] = [], 0.0
        return True

    def _finish_episode(self, info: dict[str, Any], mus: list[float], ret: float) -> None:
        self.episodes += 1
        record = {
            "train_score": info.get("train_score"),
            "valid_score": info.get("valid_score"),
            "test_score": info.get("test_score"),
            "validation_gain": ret / self.reward_scale if self.reward_scale else ret,
            "mean_mu": float(np.mean(mus)),
            "mus": mus,
            "task": info.get("task"),
            "timesteps": self.num_timesteps,
        }
        self.recent.append(record)
        if self._writer is None:
            return
        step = self.num_timesteps
        for key in ("train_score", "valid_score", "test_score", "validation_gain", "mean_mu"):
            if record[key] is not None:
                self._writer.add_scalar(f"mesa/{key}", record[key], step)
        self._writer.add_scalar("mesa/episode_return", ret, step)
        self._writer.add_histogram("mesa/mu", np.asarray(mus), step)
        if self.episodes % self.figure_every == 0:
            self._writer.add_figure("mesa/mu_by_ensemble_step", self.policy_figure(), step)
        self._writer.flush()

    def policy_figure(self) -> Any:
        """μ chosen at each ensemble step over the recent episodes (paper Fig. 8)."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2))
        for rec in self.recent:
            steps = np.arange(2, len(rec["mus"]) + 2)
            ax.plot(steps, rec["mus"], color="tab:blue", alpha=0.25)
        ax.set(xlabel="ensemble member t+1", ylabel="μ", ylim=(-0.02, 1.02))
        ax.set_title(f"μ per step, last {len(self.recent)} episodes")
        fig.tight_layout()
        return fig

    def summary(self) -> dict[str, Any]:
        """Mean scores over the recent episodes, for the checkpoint metadata."""
        out: dict[str, Any] = {"episodes": self.episodes, "window": len(self.recent)}
        for key in ("train_score", "valid_score", "test_score", "validation_gain", "mean_mu"):
            values = [r[key] for r in self.recent if r[key] is not None]
            if values:
                out[f"mean_{key}"] = float(np.mean(values))
        return out

    def _on_training_end(self) -> None:
        if self._writer is not None:
            if self.recent and self.episodes % self.figure_every:  # the final policy, once
                self._writer.add_figure(
                    "mesa/mu_by_ensemble_step", self.policy_figure(), self.num_timesteps
                )
            self._writer.close()
