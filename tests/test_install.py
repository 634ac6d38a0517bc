"""The package installs like a library: a built wheel, installed outside the checkout, works.

The wheel must carry everything needed at run time (the shipped sampler as package data, the
paper's numbers), and install no top-level module that shadows a well-known package.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, cwd=build, capture_output=True,
    )  # fmt: skip
    (path,) = out.glob("mesa_gym-*.whl")
    return path


def test_wheel_holds_the_packages_and_their_data_but_no_clashing_modules(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"mesa_env", "agents", "mesa_baselines", "mesa_evaluation"}
    assert "agents/pretrained/mesa_default.sampler.pt" in names
    assert "mesa_evaluation/paper_results.json" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mesa-train = agents.train_cli:main" in text
    assert "mesa-evaluate = mesa_evaluation.cli:main" in text


def test_installed_wheel_finds_the_shipped_sampler_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    script = (
        "import agents, numpy as np\n"
        "from sklearn.datasets import make_classification\n"
        "from agents import MesaClassifier\n"
        "from agents.classifier import DEFAULT_SAMPLER\n"
        "X, y = make_classification(300, weights=[0.9], random_state=0)\n"
        'clf = MesaClassifier(sampler="pretrained", n_estimators=3, random_state=0).fit(X, y)\n'
        "print(agents.__file__); print(DEFAULT_SAMPLER); print(len(clf.estimators_))\n"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=work,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    module, sampler, members = done.stdout.split()
    assert module.startswith(str(site)) and sampler.startswith(str(site))
    assert members == "3"
