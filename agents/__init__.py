"""Meta-samplers for MESA.

SB3 agents, reference policies, sampler files, training and the scikit-learn classifier.

Note: ``agents`` is also the import name of the OpenAI Agents SDK (``openai-agents``); the two
cannot be installed in one environment. torch and SB3 are imported only when an agent is built
or a sampler is loaded, so ``from agents import MesaClassifier`` stays light.
"""

from __future__ import annotations

from agents.base import SamplerAgent
from agents.classifier import MesaClassifier
from agents.registry import AGENT_NAMES, make_agent
from agents.sampler_file import load_sampler
from agents.training import meta_train

__all__ = [
    "AGENT_NAMES",
    "MesaClassifier",
    "SamplerAgent",
    "load_sampler",
    "make_agent",
    "meta_train",
]
