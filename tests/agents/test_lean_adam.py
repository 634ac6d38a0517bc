"""LeanAdam: torch's Adam, bit for bit, without importing torch._dynamo."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from agents.lean_adam import LeanAdam


def _train(optimizer_class: type, steps: int = 25, **kwargs) -> tuple[torch.nn.Module, dict]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = optimizer_class(net.parameters(), lr=1e-2, **kwargs)
    x, y = torch.randn(32, 5), torch.randn(32, 1)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        optimizer.step()
    return net, optimizer.state_dict()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fused": True},
        {"fused": True, "amsgrad": True, "weight_decay": 0.1, "maximize": True},
        {"fused": True, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"foreach": False},
        {"amsgrad": True, "weight_decay": 0.1},
    ],
    ids=["fused", "fused-amsgrad-decay-maximize", "fused-adamw", "single-tensor", "amsgrad+decay"],
)
def test_lean_adam_updates_weights_and_state_exactly_as_adam(kwargs):
    ref_net, ref_state = _train(torch.optim.Adam, **kwargs)
    lean_net, lean_state = _train(LeanAdam, **kwargs)
    for ref, lean in zip(ref_net.parameters(), lean_net.parameters(), strict=True):
        assert torch.equal(ref, lean)
    assert ref_state["param_groups"] == lean_state["param_groups"]
    for i, state in ref_state["state"].items():
        assert state.keys() == lean_state["state"][i].keys()
        assert all(torch.equal(state[k], lean_state["state"][i][k]) for k in state)


def test_fused_steps_after_the_first_call_the_kernels_directly(monkeypatch):
    """The fast path is taken (else the bit-identity test above would not test it)."""
    import agents.lean_adam as lean_adam

    calls = []
    adam_step = lean_adam._ADAM_STEP
    monkeypatch.setattr(lean_adam, "_ADAM_STEP", lambda *a: calls.append(1) or adam_step(*a))
    _train(LeanAdam, steps=5, fused=True)
    assert len(calls) == 1  # the first step creates the state
    _train(LeanAdam, steps=5)  # not fused: every step is Adam.step
    assert len(calls) == 6


def test_a_parameter_without_gradient_leaves_the_step_to_adam():
    torch.manual_seed(0)
    used, unused = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
    params = [*used.parameters(), *unused.parameters()]
    lean = LeanAdam(params, lr=0.1, fused=True)
    ref = torch.optim.Adam(
        [p.detach().clone().requires_grad_() for p in params], lr=0.1, fused=True
    )
    for _ in range(3):
        for optimizer, ps in ((lean, params), (ref, ref.param_groups[0]["params"])):
            optimizer.zero_grad()
            (torch.ones(2, 3) @ ps[0].T + ps[1]).sum().backward()
            optimizer.step()
    for mine, theirs in zip(params, ref.param_groups[0]["params"], strict=True):
        assert torch.equal(mine, theirs)


def test_adam_state_loads_into_lean_adam_and_back():
    net, state = _train(torch.optim.Adam, steps=3)
    lean = LeanAdam(net.parameters(), lr=1e-2)
    lean.load_state_dict(state)
    round_trip = torch.optim.Adam(net.parameters(), lr=1e-2)
    round_trip.load_state_dict(lean.state_dict())
    assert round_trip.state_dict()["param_groups"] == state["param_groups"]


def test_lean_adam_step_leaves_grad_mode_as_it_found_it():
    net = torch.nn.Linear(3, 1)
    optimizer = LeanAdam(net.parameters())
    net(torch.ones(2, 3)).sum().backward()
    optimizer.step()
    assert torch.is_grad_enabled()


def test_training_with_lean_adam_never_imports_torch_dynamo():
    """The point of the class: ~1 s of import per process that plain Adam pays."""
    code = (
        "import sys, torch; from agents.lean_adam import LeanAdam\n"
        "net = torch.nn.Linear(3, 1); opt = LeanAdam(net.parameters(), fused=True)\n"
        "for _ in range(2):\n"
        "    opt.zero_grad(); net(torch.ones(2, 3)).sum().backward(); opt.step()\n"
        "opt.load_state_dict(opt.state_dict())\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
