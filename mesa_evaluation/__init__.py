"""Evaluation under the paper's protocol: MESA against the baselines, tables and figures."""

from mesa_evaluation.protocol import EXPERIMENTS, EvalConfig, evaluate

__all__ = ["EXPERIMENTS", "EvalConfig", "evaluate"]
