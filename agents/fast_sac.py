"""SB3's SAC with the same gradient update done in fewer Python and torch calls.

With the preset's networks (one hidden layer of 50 for the actor, two of 50 for the critics,
batch 64) an update is a few hundred tiny tensor operations, so its cost is call overhead, not
arithmetic: SB3's ``SAC.train`` spends ~2.6 ms per update on this 2-core machine, more than a
digits env step (~1.7 ms), and ``FastSAC.train`` ~1.8 ms. :class:`FastSAC` keeps SB3 for
everything else (collection, replay, saving, loading) and replaces only ``train`` with the
same computation written out, in the same order, on the same random streams, so its results are
bit-identical to SB3's (``tests/agents/test_fast_sac.py`` trains both side by side and
compares every weight). It saves work only where the result cannot depend on it:

- each loss is differentiated with respect to its own network's weights only
  (``torch.autograd.grad``, written to ``.grad`` as ``backward`` after ``zero_grad`` would):
  SB3's ``backward`` of the actor's loss also fills the critics' gradients, which the next
  critic ``zero_grad`` throws away;
- the Gaussian policy's log-density is computed inline rather than through
  ``torch.distributions`` objects (the same formula; their argument checks are skipped);
- with ``gamma == 0`` (the preset) the bootstrapped target ``r + (1 − d)·γ·Q'`` is ``r`` exactly
  whenever Q' is finite, so the next-state actor and target critics are not evaluated; the
  policy noise they would have drawn is still drawn, keeping the random stream SB3's;
- replay batches are the rows SB3 draws, gathered once (SB3 copies them a second time);
- the target networks move in two ``torch._foreach_*`` calls, not a Python loop; losses are
  collected as tensors and read once per call, not with an ``.item()`` per update;
- the actor and critics are optimised by :class:`~agents.lean_adam.LeanAdam`, torch's Adam
  without its ``torch._dynamo`` guards (about 1 s of import per process, never needed in eager
  training), unless ``policy_kwargs`` names another ``optimizer_class``. The zip records the
  ``policy_kwargs`` as given, so plain SB3 loads it with torch's Adam and the same state.

Any configuration outside what this covers (gSDE, batch-norm statistics, n-step or
normalised replay, image or dict observations) falls back to SB3's own ``train``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch as th
from stable_baselines3 import SAC
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.torch_layers import FlattenExtractor
from stable_baselines3.common.type_aliases import ReplayBufferSamples
from stable_baselines3.sac.policies import LOG_STD_MAX, LOG_STD_MIN
from torch.nn import functional as F

from agents.lean_adam import LeanAdam

__all__ = ["FastSAC"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))  # as torch.distributions.Normal computes it


def _forward(module: th.nn.Module, x: th.Tensor) -> th.Tensor:
    """``module(x)``, layer by layer, without ``nn.Module.__call__``'s hook bookkeeping.

    The same operations on the same tensors; what is skipped is a few microseconds of Python per
    module call, ~40 calls per update. Forward hooks on the policy's modules are not run.
    """
    if type(module) is th.nn.Sequential:
        for layer in module:
            x = _forward(layer, x)
        return x
    return module.forward(x)


def _set_gradients(loss: th.Tensor, params: list[th.Tensor]) -> None:
    """``zero_grad(); loss.backward()`` for ``params`` only: their ``.grad`` is d loss / d param.

    What ``backward`` would leave there after ``zero_grad(set_to_none=True)``, computed without
    visiting other leaves (the critics, for the actor's loss) and without the ``zero_grad`` call.
    """
    grads = th.autograd.grad(loss, params, allow_unused=True)
    for param, grad in zip(params, grads, strict=True):
        param.grad = grad


class FastSAC(SAC):
    """Stable-Baselines3 SAC whose ``train`` is a leaner, bit-identical gradient update.

    A drop-in for :class:`stable_baselines3.SAC`: same constructor, checkpoints loadable by
    either class. See the module docstring for what is done differently and why it cannot
    change a result.
    """

    def _setup_model(self) -> None:
        """SB3's set-up, with :class:`LeanAdam` for the networks unless another is asked for."""
        lean = "optimizer_class" not in self.policy_kwargs
        if lean:
            self.policy_kwargs["optimizer_class"] = LeanAdam
        try:
            super()._setup_model()
        finally:
            if lean:  # the checkpoint keeps the caller's policy_kwargs: plain SB3 loads it
                del self.policy_kwargs["optimizer_class"]

    def fast_path_supported(self) -> bool:
        """Whether :meth:`train` can use the lean update (else SB3's own is used)."""
        actor, critic = self.actor, self.critic
        return (
            not self.use_sde
            and type(self.replay_buffer) is ReplayBuffer
            and self._vec_normalize_env is None
            and not self.batch_norm_stats
            and isinstance(actor.features_extractor, FlattenExtractor)
            and isinstance(critic.features_extractor, FlattenExtractor)
            and not critic.share_features_extractor
            and len(self.observation_space.shape) == 1
            and self.observation_space.dtype == np.float32
        )

    def _action_log_prob(self, obs: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        """SB3's ``actor.action_log_prob`` (squashed diagonal Gaussian), written out."""
        actor = self.actor
        latent = _forward(actor.latent_pi, obs)
        mean = _forward(actor.mu, latent)
        log_std = th.clamp(_forward(actor.log_std, latent), LOG_STD_MIN, LOG_STD_MAX)
        std = log_std.exp()
        noise = th.empty(mean.shape, dtype=mean.dtype).normal_()
        gaussian = mean + noise * std
        actions = th.tanh(gaussian)
        log_prob = -((gaussian - mean) ** 2) / (2 * std**2) - std.log() - _LOG_SQRT_2PI
        log_prob = log_prob.sum(dim=1)
        log_prob -= th.sum(th.log(1 - actions**2 + self.actor.action_dist.epsilon), dim=1)
        return actions, log_prob

    def _q_values(self, critic: Any, obs: th.Tensor, actions: th.Tensor) -> th.Tensor:
        """Every critic's Q(s, a), one column each (SB3's ``th.cat(critic(obs, a), dim=1)``)."""
        q_input = th.cat([obs, actions], dim=1)
        return th.cat([_forward(q_net, q_input) for q_net in critic.q_networks], dim=1)

    def _sample_action(
        self, learning_starts: int, action_noise: Any = None, n_envs: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """SB3's exploration action, with the policy sample written out.

        SB3 goes through ``predict``, which switches every module to eval mode and checks the
        observation's shape on each step; collection already runs in eval mode on the VecEnv's
        (n_envs, obs_dim) float32 observations, so the sample is drawn directly, as
        ``actor(obs, deterministic=False)`` draws it.
        """
        if self.num_timesteps < learning_starts or not self.fast_path_supported():
            return super()._sample_action(learning_starts, action_noise, n_envs)
        actor, policy = self.actor, self.policy
        with th.no_grad():
            latent = _forward(actor.latent_pi, th.as_tensor(self._last_obs))
            mean = _forward(actor.mu, latent)
            std = th.clamp(_forward(actor.log_std, latent), LOG_STD_MIN, LOG_STD_MAX).exp()
            actions = th.tanh(mean + th.empty(mean.shape, dtype=mean.dtype).normal_() * std)
        unscaled = policy.unscale_action(actions.numpy().reshape((-1, *self.action_space.shape)))
        scaled = policy.scale_action(unscaled)
        if action_noise is not None:
            scaled = np.clip(scaled + action_noise(), -1, 1)
        return policy.unscale_action(scaled), scaled

    def _replay_sample(self, batch_size: int) -> ReplayBufferSamples:
        """SB3's ``ReplayBuffer.sample``, without a second copy of each array.

        The same two draws from numpy's global generator, the same rows; ``th.from_numpy`` on
        the gathered rows instead of ``th.tensor``.
        """
        buffer = self.replay_buffer
        if buffer.optimize_memory_usage:
            return buffer.sample(batch_size, env=None)
        upper = buffer.buffer_size if buffer.full else buffer.pos
        # SB3 draws from numpy's legacy global generator (seeded by set_random_seed): so do we.
        rows = np.random.randint(0, upper, size=batch_size)  # noqa: NPY002
        envs = np.random.randint(0, high=buffer.n_envs, size=(batch_size,))  # noqa: NPY002
        dones = buffer.dones[rows, envs] * (1 - buffer.timeouts[rows, envs])
        return ReplayBufferSamples(
            th.from_numpy(buffer.observations[rows, envs, :]),
            th.from_numpy(buffer.actions[rows, envs, :]),
            th.from_numpy(buffer.next_observations[rows, envs, :]),
            th.from_numpy(dones.reshape(-1, 1)),
            th.from_numpy(buffer.rewards[rows, envs].reshape(-1, 1)),
        )

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        """``gradient_steps`` SAC updates, bit-identical to SB3's ``SAC.train``."""
        if not self.fast_path_supported():
            return super().train(gradient_steps, batch_size)
        self.policy.set_training_mode(True)
        actor, critic = self.actor, self.critic
        optimizers = [actor.optimizer, critic.optimizer]
        if self.ent_coef_optimizer is not None:
            optimizers += [self.ent_coef_optimizer]
        self._update_learning_rate(optimizers)

        actor_params = list(actor.parameters())
        critic_params = list(critic.parameters())
        target_params = list(self.critic_target.parameters())
        skip_bootstrap = self.gamma == 0
        ent_coef_losses, ent_coefs, actor_losses, critic_losses = [], [], [], []

        for gradient_step in range(gradient_steps):
            data = self._replay_sample(batch_size)
            actions_pi, log_prob = self._action_log_prob(data.observations)
            log_prob = log_prob.reshape(-1, 1)

            if self.ent_coef_optimizer is not None and self.log_ent_coef is not None:
                ent_coef = th.exp(self.log_ent_coef.detach())
                ent_coef_loss = -(
                    self.log_ent_coef * (log_prob + self.target_entropy).detach()
                ).mean()
                ent_coef_losses.append(ent_coef_loss.detach())
                self.ent_coef_optimizer.zero_grad()
                ent_coef_loss.backward()
                self.ent_coef_optimizer.step()
            else:
                ent_coef = self.ent_coef_tensor
            ent_coefs.append(ent_coef)

            with th.no_grad():
                if skip_bootstrap:
                    # the next-state policy sample SB3 draws (and multiplies by γ = 0)
                    th.empty(actions_pi.shape, dtype=actions_pi.dtype).normal_()
                    target_q = data.rewards
                else:
                    next_actions, next_log_prob = self._action_log_prob(data.next_observations)
                    next_q = self._q_values(
                        self.critic_target, data.next_observations, next_actions
                    )
                    next_q, _ = th.min(next_q, dim=1, keepdim=True)
                    next_q = next_q - ent_coef * next_log_prob.reshape(-1, 1)
                    target_q = data.rewards + (1 - data.dones) * self.gamma * next_q

            q_input = th.cat([data.observations, data.actions], dim=1)
            critic_loss = 0.5 * sum(
                F.mse_loss(_forward(q_net, q_input), target_q) for q_net in critic.q_networks
            )
            critic_losses.append(critic_loss.detach())
            _set_gradients(critic_loss, critic_params)
            critic.optimizer.step()

            min_qf_pi, _ = th.min(
                self._q_values(critic, data.observations, actions_pi), dim=1, keepdim=True
            )
            actor_loss = (ent_coef * log_prob - min_qf_pi).mean()
            actor_losses.append(actor_loss.detach())
            _set_gradients(actor_loss, actor_params)
            actor.optimizer.step()

            if gradient_step % self.target_update_interval == 0:
                with th.no_grad():
                    th._foreach_mul_(target_params, 1 - self.tau)
                    th._foreach_add_(target_params, critic_params, alpha=self.tau)

        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/ent_coef", np.mean(th.stack(ent_coefs).tolist()))
        self.logger.record("train/actor_loss", np.mean(th.stack(actor_losses).tolist()))
        self.logger.record("train/critic_loss", np.mean(th.stack(critic_losses).tolist()))
        if ent_coef_losses:
            self.logger.record("train/ent_coef_loss", np.mean(th.stack(ent_coef_losses).tolist()))
