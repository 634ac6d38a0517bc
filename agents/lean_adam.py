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

With ``fused=True`` (the SAC preset's choice) on CPU, a step is the two kernel calls
``Adam.step`` ends in, ``torch._foreach_add_`` on the step counters and ``torch._fused_adam_``
(``_fused_adamw_`` with decoupled weight decay), with the same arguments; what is skipped is the
Python around them that rebuilds the same lists, re-checks the same flags and groups tensors that
all share one device and dtype (72 → 49 µs a step on a 11-50-50-1 network, ~0.05 s of a
default run). ``Adam.step`` itself runs whenever this is not certain to match it: a closure,
gradient scaling (``grad_scale``/``found_inf``), a parameter with a gradient but no state yet
(the first step), one without a gradient, complex, sparse, non-CPU or mixed-dtype parameters, a
tensor ``lr`` or ``betas``, ``capturable``/``differentiable``, or a torch without the kernels.
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
_FUSED_ADAM = getattr(th, "_fused_adam_", None)
_FUSED_ADAMW = getattr(th, "_fused_adamw_", None)


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
        if closure is None and self._fused_step():
            return None
        with th.set_grad_enabled(self.defaults["differentiable"]):
            return _ADAM_STEP(self, closure)

    def _fused_step(self) -> bool:
        """The fused CPU kernels ``Adam.step`` would call, called directly; False if not covered.

        Checks everything first and changes nothing unless every group is covered, so a
        ``False`` leaves the step entirely to ``Adam.step``.
        """
        if _FUSED_ADAM is None or getattr(self, "grad_scale", None) is not None:
            return False
        if getattr(self, "found_inf", None) is not None:
            return False
        calls = [self._kernel_arguments(group) for group in self.param_groups]
        if any(arguments is None for arguments in calls):
            return False
        with th.no_grad():
            for group, (params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps) in zip(
                self.param_groups, calls, strict=True
            ):
                if not params:
                    continue
                beta1, beta2 = group["betas"]
                kernel = _FUSED_ADAMW if group.get("decoupled_weight_decay") else _FUSED_ADAM
                th._foreach_add_(steps, 1)
                kernel(
                    params,
                    grads,
                    exp_avgs,
                    exp_avg_sqs,
                    max_sqs,
                    steps,
                    amsgrad=group["amsgrad"],
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=group["maximize"],
                    grad_scale=None,
                    found_inf=None,
                )
        return True

    def _kernel_arguments(self, group: dict[str, Any]) -> tuple[list[th.Tensor], ...] | None:
        """The lists ``Adam.step`` gives the fused kernel for ``group``; None: not covered."""
        if not group["fused"] or group["capturable"] or group["differentiable"]:
            return None
        if isinstance(group["lr"], th.Tensor) or isinstance(group["betas"][0], th.Tensor):
            return None
        if group.get("decoupled_weight_decay") and _FUSED_ADAMW is None:
            return None
        params = group["params"]
        lists: tuple[list[th.Tensor], ...] = (params, [], [], [], [], [])
        _, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = lists
        dtype = params[0].dtype if params else None
        for param in params:
            grad, state = param.grad, self.state.get(param)
            if grad is None or not state or grad.is_sparse or param.is_complex():
                return None
            if param.dtype != dtype or param.device.type != "cpu":
                return None
            grads.append(grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if group["amsgrad"]:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            steps.append(state["step"])
        return lists
