"""Meta-samplers for MESA: SB3 agents, reference policies, sampler files and training.

Heavy imports (torch, SB3) happen only when an agent is built or a sampler is loaded.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AGENT_NAMES", "load_sampler", "make_agent", "meta_train"]


def __getattr__(name: str) -> Any:
    if name in ("AGENT_NAMES", "make_agent"):
        from agents import registry

        return getattr(registry, name)
    if name == "load_sampler":
        from agents.sampler_file import load_sampler

        return load_sampler
    if name == "meta_train":
        from agents.training import meta_train

        return meta_train
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
