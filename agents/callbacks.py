"""TensorBoard curves of meta-training: what a user watches while a sampler learns.

Per finished episode (step = total timesteps so far): the final ensemble's train/valid/test
score, the episode's validation gain (the return before ``reward_scale``) and the mean μ. Every
``mu_every`` episodes: the μ chosen at each ensemble step, averaged over those episodes
(``mesa/mu_at_step/t``, the learned schedule of the paper's Fig. 8 as curves over training), and
a histogram of their μ: those ten events per episode were two thirds of the writes, and each
write wakes TensorBoard's writer thread. SB3 writes its own losses to the same run. A matplotlib
figure of μ against the ensemble step over recent episodes is drawn every ``figure_every``
episodes and at the end of training when ``figure_every`` is set: it is off by default because
matplotlib's import alone (~0.35 s) is 5 % of the default run. Events are written to disk every
``flush_secs`` seconds and when training ends, not after each episode.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

__all__ = ["TrainingMonitorCallback"]


class TrainingMonitorCallback(BaseCallback):
    """Log MESA's per-episode scores and the sampler's μ; keep a summary for checkpoints."""

    def __init__(
        self,
        reward_scale: float = 1.0,
        figure_every: int = 0,
        window: int = 20,
        flush_secs: int = 10,
        mu_every: int = 10,
    ) -> None:
        super().__init__()
        if mu_every < 1:
            raise ValueError(f"mu_every must be >= 1; got {mu_every}")
        self.reward_scale = reward_scale
        self.figure_every = figure_every
        self.mu_every = mu_every
        self.flush_secs = flush_secs
        self.recent: deque[dict[str, Any]] = deque(maxlen=window)
        self.episodes = 0
        self._writer: Any = None
        self._mus: list[list[float]] = []
        self._returns: list[float] = []
        self._unwritten_mus: list[list[float]] = []  # episodes since μ per step was last written

    def _on_training_start(self) -> None:
        n_envs = self.training_env.num_envs
        self._mus = [[] for _ in range(n_envs)]
        self._returns = [0.0] * n_envs
        log_dir = self.logger.get_dir() if self.model.tensorboard_log else None
        if log_dir:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir, flush_secs=self.flush_secs)

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
        self._unwritten_mus.append(mus)
        if len(self._unwritten_mus) >= self.mu_every:
            self._write_mus(step)
        if self.figure_every and self.episodes % self.figure_every == 0:
            self._writer.add_figure("mesa/mu_by_ensemble_step", self.policy_figure(), step)

    def _write_mus(self, step: int) -> None:
        """μ per ensemble step, averaged over the episodes since the last call, and their μ."""
        length = min(len(mus) for mus in self._unwritten_mus)  # equal unless k changed
        block = np.array([mus[:length] for mus in self._unwritten_mus])
        for t, mu in enumerate(block.mean(axis=0), start=2):  # member t (f_1: from reset)
            self._writer.add_scalar(f"mesa/mu_at_step/{t:02d}", mu, step)
        self._writer.add_histogram("mesa/mu", block.ravel(), step)
        self._unwritten_mus = []

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
            if self._unwritten_mus:
                self._write_mus(self.num_timesteps)
            if self.figure_every and self.recent and self.episodes % self.figure_every:
                self._writer.add_figure(
                    "mesa/mu_by_ensemble_step", self.policy_figure(), self.num_timesteps
                )
            self._writer.close()
