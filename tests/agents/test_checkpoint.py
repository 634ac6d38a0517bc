"""Checkpoints cannot end up mixed, and their files cannot be clobbered or abused while written.

Issue: a fault between the files of a checkpoint left ``.json``/``.zip`` of one run beside the
``.sampler.pt`` of another; fixed temporary names made concurrent writers collide and let a
symlink planted at that name redirect the write.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.checkpoint import checkpoint_paths, read_metadata, write_checkpoint
from agents.registry import make_agent
from agents.sampler_file import (
    atomic_write,
    file_sha256,
    load_sampler,
    read_sampler_file,
    write_sampler_file,
)
from agents.sb3_agents import default_hyperparameters
from agents.training import build_vec_env, env_settings, meta_train

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = env_settings(n_estimators=3)
EXTRA = {"env": SETTINGS, "datasets": ["toy-less"]}
OBS = np.random.default_rng(0).dirichlet(np.ones(5), size=(16, 2)).reshape(16, 10)
OBS = OBS.astype(np.float32)


@pytest.fixture(scope="module")
def sac_agents():
    """Two briefly trained SAC agents with different weights: two 'runs'."""
    hp = default_hyperparameters("sac", n_estimators=3) | {"learning_starts": 10, "batch_size": 8}
    agents = []
    for seed in (0, 1):
        venv = build_vec_env(["toy-less"], SETTINGS, seed=seed)
        agent = make_agent("sac", venv, hyperparameters=hp, total_timesteps=30, seed=seed)
        agents.append(agent.learn(30))
    assert not np.array_equal(agents[0].predict(OBS)[0], agents[1].predict(OBS)[0])
    return agents


@pytest.fixture
def fault_at(monkeypatch):
    """``fault_at(n)``: the n-th rename into place from now on fails, as a full disk would."""
    real = os.replace

    def arm(n: int) -> list[str]:
        renamed: list[str] = []
        calls = iter(range(1, 1_000_000))

        def flaky(src, dst):
            if next(calls) == n:
                raise OSError(28, "No space left on device (simulated)")
            real(src, dst)
            renamed.append(Path(dst).name)

        monkeypatch.setattr(os, "replace", flaky)
        return renamed

    yield arm
    monkeypatch.setattr(os, "replace", real)


def _plant(link: Path, victim: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)


# ------------------------------------------------------------------- a fault between files
def test_a_fault_between_the_files_of_a_reference_checkpoint_is_detected(tmp_path, fault_at):
    stem = tmp_path / "ref"
    write_checkpoint(make_agent("constant", hyperparameters={"mu": 0.2}), stem, EXTRA)
    renamed = fault_at(2)  # the first file of the new checkpoint lands, the second does not
    with pytest.raises(OSError, match="simulated"):
        write_checkpoint(make_agent("constant", hyperparameters={"mu": 0.8}), stem, EXTRA)
    assert len(renamed) == 1
    with pytest.raises(ValueError, match=r"mixed set: .*ref\.(sampler\.pt|json)"):
        load_sampler(stem)
    with pytest.raises(ValueError, match="mixed set"):
        read_metadata(stem)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.expensive
@pytest.mark.parametrize("landed", [1, 2, 3])
def test_a_fault_between_the_files_of_an_sb3_checkpoint_is_detected(
    tmp_path, fault_at, sac_agents, landed
):
    """zip, replay, sampler, then JSON: whichever file the fault stops at, the set is refused."""
    old, new = sac_agents
    stem = tmp_path / "sac"
    write_checkpoint(old, stem, EXTRA)
    before = {k: file_sha256(p) for k, p in checkpoint_paths(stem).items()}
    fault_at(landed + 1)
    with pytest.raises(OSError, match="simulated"):
        write_checkpoint(new, stem, EXTRA)
    changed = [k for k, p in checkpoint_paths(stem).items() if file_sha256(p) != before[k]]
    assert len(changed) == landed and "metadata" not in changed
    first = checkpoint_paths(stem)[changed[0]]
    with pytest.raises(ValueError, match=rf"mixed set: {first}.* differs"):
        read_metadata(stem)  # what --resume reads first
    with pytest.raises(ValueError, match="mixed set"):
        meta_train(resume=stem, total_timesteps=5, tensorboard_log=None, eval_episodes=0)
    if "sampler" in changed:
        with pytest.raises(ValueError, match=r"mixed set: .*sac\.sampler\.pt differs"):
            load_sampler(stem)
    else:  # the sampler is still the one the JSON describes: it may load
        sampler = load_sampler(stem)
        np.testing.assert_array_equal(sampler.predict(OBS)[0], old.predict(OBS)[0])


@pytest.mark.expensive
def test_a_complete_checkpoint_lists_and_matches_every_file(tmp_path, sac_agents):
    agent = sac_agents[0]
    paths = write_checkpoint(agent, tmp_path / "sac", EXTRA)
    assert set(paths) == {"model", "replay", "metadata", "sampler"}
    meta = read_metadata(tmp_path / "sac")
    for key in ("model", "replay", "sampler"):
        assert meta["files"][key] == {"name": paths[key].name, "sha256": file_sha256(paths[key])}
    sampler = load_sampler(tmp_path / "sac")
    assert sampler.metadata["checkpoint_id"] == meta["checkpoint_id"]
    np.testing.assert_array_equal(sampler.predict(OBS)[0], agent.predict(OBS)[0])


@pytest.mark.expensive
def test_a_missing_or_foreign_file_is_named(tmp_path, sac_agents):
    paths = write_checkpoint(sac_agents[0], tmp_path / "sac", EXTRA)
    paths["replay"].unlink()
    with pytest.raises(ValueError, match=rf"incomplete: {paths['replay']} is missing"):
        read_metadata(tmp_path / "sac")
    # a reference checkpoint of the same name removes the SB3 files it does not have…
    write_checkpoint(make_agent("constant", hyperparameters={"mu": 0.4}), tmp_path / "sac", EXTRA)
    assert not paths["model"].exists() and not paths["replay"].exists()
    assert read_metadata(tmp_path / "sac")["algo"] == "constant"
    # …and one put back beside it is not part of the set
    write_checkpoint(sac_agents[0], tmp_path / "other", EXTRA)
    shutil.copy(tmp_path / "other.zip", paths["model"])
    with pytest.raises(ValueError, match=rf"mixed set: {paths['model']} is not among the files"):
        read_metadata(tmp_path / "sac")
    assert read_metadata(tmp_path / "sac", verify=False)["algo"] == "constant"


def test_samplers_from_another_checkpoint_are_refused_beside_a_json(tmp_path):
    for name, mu in (("a", 0.1), ("b", 0.9)):
        write_checkpoint(make_agent("constant", hyperparameters={"mu": mu}), tmp_path / name, EXTRA)
    shutil.copy(tmp_path / "b.sampler.pt", tmp_path / "a.sampler.pt")
    with pytest.raises(ValueError, match=r"sampler of checkpoint [0-9a-f]{32}, JSON of [0-9a-f]"):
        load_sampler(tmp_path / "a.sampler.pt")
    (tmp_path / "alone").mkdir()
    shutil.copy(tmp_path / "b.sampler.pt", tmp_path / "alone" / "b.sampler.pt")
    assert load_sampler(tmp_path / "alone" / "b.sampler.pt").predict(OBS[0])[0][0] == 0.9


def test_checkpoints_from_before_manifests_still_load_and_resume_reads_them():
    """The shipped checkpoint has no "files": it is read (and loaded) as before, silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        meta = read_metadata(ROOT / "checkpoints" / "mesa_default")
        sampler = load_sampler(ROOT / "checkpoints" / "mesa_default")
    assert "files" not in meta and meta["algo"] == sampler.algo == "sac"


# ------------------------------------------------------------------- the atomic writer
def test_concurrent_writers_all_succeed_and_leave_one_complete_version(tmp_path):
    """200 writes of different sampler files to one path from 4 threads, read meanwhile."""
    path = tmp_path / "shared.sampler.pt"
    weights = torch.randn(20_000)  # ~80 kB: writes take long enough to overlap

    def write(i: int) -> None:
        metadata = {"algo": "constant", "env": SETTINGS, "policy": {"params": {"mu": i / 199}}}
        write_sampler_file(path, metadata, {"w": weights + i})

    stop = threading.Event()
    seen: list[int] = []

    def read_while_writing() -> None:
        while not stop.is_set():
            if path.exists():
                metadata, state = read_sampler_file(path)  # never a partial file
                i = round(metadata["policy"]["params"]["mu"] * 199)
                assert torch.equal(state["w"], weights + i)
                seen.append(i)

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(200)))  # re-raises the first writer's error
    finally:
        stop.set()
        reader.join()
    metadata, state = read_sampler_file(path)
    i = round(metadata["policy"]["params"]["mu"] * 199)
    assert torch.equal(state["w"], weights + i)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.sampler.pt"]


def test_concurrent_checkpoint_writers_all_succeed(tmp_path):
    stem = tmp_path / "ck"

    def write(i: int) -> None:
        write_checkpoint(make_agent("constant", hyperparameters={"mu": i / 99}), stem, EXTRA)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(100)))
    try:  # interleaved writers of one checkpoint may leave a mixed set: then it is refused
        assert 0.0 <= load_sampler(stem).predict(OBS[0])[0][0] <= 1.0
    except ValueError as error:
        assert "mixed set" in str(error)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.json", "ck.sampler.pt"]


@pytest.mark.expensive
def test_symlinks_planted_at_temporary_names_are_not_followed(tmp_path, sac_agents):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    stem = tmp_path / "ck" / "sac"
    for name in (  # every name the old writers used
        "sac.json.tmp", "sac.sampler.pt.tmp", ".sac.tmp.zip", ".sac.replay.tmp.pkl",
        ".sac.tmp.json", ".sac.sampler.tmp.pt",
    ):  # fmt: skip
        _plant(stem.parent / name, victim)
    paths = write_checkpoint(sac_agents[0], stem, EXTRA)
    assert victim.read_text() == "precious"
    for path in paths.values():
        assert path.is_file() and not path.is_symlink()
    np.testing.assert_array_equal(load_sampler(stem).predict(OBS)[0], sac_agents[0].predict(OBS)[0])


def test_a_symlink_at_the_next_random_name_is_skipped_not_followed(tmp_path, monkeypatch):
    """Mkstemp's O_EXCL refuses an existing name, symlink or not, and tries another."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = iter(["planted", *(f"free{i}" for i in range(100))])
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: names)
    target = tmp_path / "out" / "x.json"
    _plant(target.parent / ".x.json.planted.tmp", victim)
    digest = atomic_write(target, lambda handle: handle.write(b'{"ok": true}'))
    assert victim.read_text() == "precious"
    assert json.loads(target.read_text()) == {"ok": True} and digest == file_sha256(target)


def test_a_symlink_at_the_destination_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    _plant(tmp_path / "x.json", victim)
    atomic_write(tmp_path / "x.json", lambda handle: handle.write(b"new"))
    assert victim.read_text() == "precious"
    assert not (tmp_path / "x.json").is_symlink() and (tmp_path / "x.json").read_bytes() == b"new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "x.bin"
    atomic_write(path, lambda handle: handle.write(b"old"))

    def fail(handle):
        handle.write(b"half")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError, match="writer failed"):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_written_files_get_the_usual_permissions_not_mkstemps_private_ones(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    path = tmp_path / "x.bin"
    atomic_write(path, lambda handle: handle.write(b"data"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
