"""torch's Adam without the ``torch._dynamo`` machinery that eager training never uses.

Every ``torch.optim`` optimizer wraps its bookkeeping methods (``add_param_group``,
``zero_grad``, ``state_dict``, ``load_state_dict``) in ``torch._disable_dynamo`` and its
``step`` in a guard that calls ``torch._dynamo.graph_break()`` twice. Both exist so that
``torch.compile`` traces optimizers correctly, and both import ``torch._dynamo`` on their first
call: about 1 s on this 2-core machine (sympy, the FX tracer, distributed tensors), 10 % of the
default ``train_sampler.py`` run, spent before the first gradient step of a process whose
networks are never compiled. The two ``graph_break`` calls then cost every step.

:class:`LeanAdam` is :class:`torch.optim.Adam` with those methods replaced by the functions the
wrappers wrap (``__wrapped__``, set by ``functools.wraps``): the same code on the same tensors, so
its updates, its state and its ``state_dict`` are bit-identical to ``Adam``'s
(``tests/agents/test_lean_adam.py``). It is meant for eager training only; compile a model with
``torch.compile`` and use ``torch.optim.Adam`` for it. Should a torch release drop
``__wrapped__``, the wrapped methods are used as they are: slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch as th

__all__ = ["LeanAdam"]


def _unwrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    """The function under torch's ``torch._dynamo`` wrapper (``method`` itself if none)."""
    return getattr(method, "__wrapped__", method)


_ADAM_STEP = _unwrapped(th.optim.Adam.step)


class LeanAdam(th.optim.Adam):
    """``torch.optim.Adam`` for eager training, without importing or calling ``torch._dynamo``.

    Same constructor, same updates, same ``state_dict``: see the module docstring.
    """

    add_param_group = _unwrapped(th.optim.Optimizer.add_param_group)
    zero_grad = _unwrapped(th.optim.Optimizer.zero_grad)
    state_dict = _unwrapped(th.optim.Optimizer.state_dict)
    load_state_dict = _unwrapped(th.optim.Optimizer.load_state_dict)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One Adam step, run as ``Adam.step`` runs it (gradients off unless differentiable)."""
        with th.set_grad_enabled(self.defaults["differentiable"]):
            return _ADAM_STEP(self, closure)
