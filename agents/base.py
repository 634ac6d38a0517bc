"""What every sampler's ``predict`` shares: observations in, μ ∈ [0, 1] out.

Every agent (SB3 learners, reference policies, loaded sampler files) answers in the
environment's own action space, μ ∈ [0, 1], whatever it uses internally (SB3 agents act on
[−1, 1]), for one observation or a batch; this module holds the batching they share.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_batch"]


def as_batch(observation: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return observations as a 2-D batch and whether the input was a single observation."""
    obs = np.asarray(observation, dtype=np.float32)
    if obs.ndim == 1:
        return obs[None, :], True
    if obs.ndim != 2:
        raise ValueError(f"observation must be 1-D or a 2-D batch; got shape {obs.shape}")
    return obs, False
