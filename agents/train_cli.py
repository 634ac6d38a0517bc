"""Meta-train a MESA sampler (paper Algorithm 3) and save a checkpoint.

With no arguments: SAC with the paper's settings on sklearn's digits (8 vs rest), 1,500 steps,
a few minutes on 2 cores. Curves go to TensorBoard under ``runs/``; the checkpoint to
``checkpoints/``.

Examples::

    mesa-train
    mesa-train --algo tqc --dataset digits-3 --dataset toy-mid --n-envs 2
    mesa-train --hp gamma=0 --hp policy_kwargs.net_arch.pi=[64,64]
    mesa-train --resume checkpoints/sac_digits_seed0 --total-timesteps 1500
"""

from __future__ import annotations

import argparse
import gc
import shlex
import sys
from pathlib import Path
from typing import Any

from mesa_baselines.learners import BASE_LEARNERS, make_base_learner


def _hp_pair(text: str) -> tuple[str, Any]:
    from agents.training import parse_override

    try:
        return parse_override(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--hp takes key=value, got {text!r}") from error


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


#: Flags that define the run; a resumed run takes them from its checkpoint, so giving one with
#: --resume is refused instead of silently ignored. (flag, type, help); each flag's default is
#: the ``mesa_env.EnvSettings`` field of its name, read when the flags are parsed, except
#: ``--reward-scale``, whose default depends on the agent (filled in by ``agents.training``).
_RUN_FLAGS: tuple[tuple[str, Any, str], ...] = (
    ("--n-estimators", int, "ensemble size k (default {default})"),
    ("--n-bins", int, "histogram bins per split (default {default})"),
    ("--sigma", float, "width of the Gaussian sampling weights (default {default})"),
    ("--reward-scale", float, "default 100 for SB3 agents, {default} for reference policies"),
    ("--label-noise", float, "training-label noise ratio (default {default})"),
    ("--train-ratio", float, "meta-train on this stratified fraction (default {default})"),
)


def _flag_name(flag: str) -> str:
    """``"--n-bins"`` → ``"n_bins"``: the argparse destination and the setting's name."""
    return flag[2:].replace("-", "_")


def _default_text(value: Any) -> str:
    """A default as the help shows it: ``0.0`` → ``0``, ``0.2`` → ``0.2``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and check the flags; defaults are filled in after the --resume check."""
    from agents.registry import AGENT_NAMES
    from mesa_env.settings import defaults

    default = defaults()
    parser = argparse.ArgumentParser(
        prog="train_sampler.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--algo", choices=AGENT_NAMES, default=None, help="agent (default sac)")
    parser.add_argument(
        "--dataset",
        action="append",
        help="task name, CSV path or task suite (e.g. keel-train-fit); repeat for cross-task "
        "meta-training (default digits)",
    )
    parser.add_argument("--total-timesteps", type=_positive_int, default=1500)
    for flag, kind, text in _RUN_FLAGS:
        shown = _default_text(getattr(default, _flag_name(flag)))
        parser.add_argument(flag, type=kind, default=None, help=text.format(default=shown))
    parser.add_argument("--histogram", choices=("all", "majority"), default=None)
    parser.add_argument(
        "--progress-obs", action="store_true", default=None, help="append t/k to the state"
    )
    parser.add_argument("--base-learner", choices=BASE_LEARNERS, default="dt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-envs", type=_positive_int, default=1, help="parallel envs")
    parser.add_argument("--tensorboard-log", default="runs", help="'' to disable")
    parser.add_argument(
        "--save",
        default=None,
        help="checkpoint stem (default checkpoints/<algo>_<data>_seed<seed>[_<settings hash>])",
    )
    parser.add_argument(
        "--resume",
        default=None,
        help="continue training an SB3 checkpoint (its .zip is unpickled: TRUSTED FILES ONLY)",
    )
    parser.add_argument("--hp", action="append", type=_hp_pair, default=[], help="key=value")
    parser.add_argument("--eval-episodes", type=_non_negative_int, default=10)
    parser.add_argument("--no-progress-bar", action="store_true")
    args = parser.parse_args(argv)
    if args.resume:
        flags = ("--algo", "--dataset", "--histogram", "--progress-obs", "--hp")
        given = [
            flag
            for flag in (*flags, *(f for f, *_ in _RUN_FLAGS))
            if getattr(args, _flag_name(flag)) not in (None, [])
        ]
        if given:
            parser.error(
                f"--resume continues the checkpoint's own run: {', '.join(given)} cannot change "
                "it. Drop them (the checkpoint's settings are used) or start a new run"
            )
    for flag, *_ in _RUN_FLAGS:
        name = _flag_name(flag)
        if getattr(args, name) is None and name != "reward_scale":
            setattr(args, name, getattr(default, name))
    args.algo = args.algo or "sac"
    args.histogram = args.histogram or default.histogram
    args.progress_obs = default.progress_obs if args.progress_obs is None else args.progress_obs
    if args.n_estimators < 2:
        parser.error(f"--n-estimators must be >= 2, got {args.n_estimators}")
    if args.n_bins < 1:
        parser.error(f"--n-bins must be >= 1, got {args.n_bins}")
    if not args.sigma > 0:
        parser.error(f"--sigma must be positive, got {args.sigma}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the command; bad input ends with a one-line error and exit status 2."""
    args = parse_args(argv)
    from agents.training import meta_train, resolve_run, run_name
    from mesa_env.suites import TASK_SUITES, expand_suites

    datasets = expand_suites(args.dataset or ["digits"])
    env_kwargs = {
        "n_estimators": args.n_estimators,
        "n_bins": args.n_bins,
        "sigma": args.sigma,
        "histogram": args.histogram,
        "reward_scale": args.reward_scale,
        "label_noise": args.label_noise,
        "train_ratio": args.train_ratio,
        "progress_obs": args.progress_obs,
    }
    try:
        save = args.save
        if save is None and args.resume:
            save = args.resume.removesuffix(".zip")  # continue in place
        elif save is None:
            algo, _, settings, hp, _ = resolve_run(
                args.algo, datasets, args.total_timesteps, args.n_envs, dict(args.hp),
                env_kwargs, None,
            )  # fmt: skip
            name = run_name(algo, datasets, args.seed, settings, hp, _base_learner(args))
            save = str(Path("checkpoints") / name)
        result = meta_train(
            algo=args.algo,
            datasets=datasets,
            total_timesteps=args.total_timesteps,
            seed=args.seed,
            n_envs=args.n_envs,
            hyperparameters=dict(args.hp),
            env_kwargs=env_kwargs,
            base_estimator=_base_learner(args),
            tensorboard_log=args.tensorboard_log or None,
            save=save,
            resume=args.resume,
            progress_bar=not args.no_progress_bar,
            eval_episodes=args.eval_episodes,
            provenance={
                "command": shlex.join(
                    ["train_sampler.py", *(sys.argv[1:] if argv is None else argv)]
                ),
                "suites": [d for d in (args.dataset or []) if d in TASK_SUITES],
            },
        )
    except (ValueError, TypeError, OSError) as error:
        print(f"train_sampler.py: error: {error}", file=sys.stderr)
        return 2
    _report(result)
    if argv is None:  # the process's own command line: it exits next
        skip_exit_collection()
    return 0


def skip_exit_collection() -> None:
    """Spare the garbage collection Python runs as it exits: ~0.5 s of the default run.

    Called by a command that is about to end its process, after everything it wrote is closed
    (checkpoint files, TensorBoard events). ``gc.freeze`` moves every live object to the
    permanent generation, which that last collection skips; the process's memory goes back to
    the system whole either way. In-process callers (``main(argv)``) are not affected.
    """
    gc.freeze()


def _base_learner(args: argparse.Namespace) -> Any:
    """``None`` (the env's default decision tree) or the named base learner."""
    return None if args.base_learner == "dt" else make_base_learner(args.base_learner)


def _report(result: Any) -> None:
    meta = result.metadata
    line = f"\nmeta-trained {meta['algo']} for {meta['timesteps']} steps"
    if meta["timesteps_per_second"]:
        line += f" in {meta['train_seconds']:.1f} s ({meta['timesteps_per_second']:.0f} steps/s)"
    elif meta["train_seconds"]:
        line = f"\ntuned {meta['algo']} in {meta['train_seconds']:.1f} s"
    print(line)
    for task, row in result.evaluation.items():
        scores = ", ".join(
            f"{split} {row[f'{split}_score_mean']:.4f} ± {row[f'{split}_score_std']:.4f}"
            for split in ("valid", "test")
            if f"{split}_score_mean" in row
        )
        print(f"  {task}: final ensemble {meta['env']['metric']} {scores}")
    for kind, path in result.paths.items():
        print(f"  {kind:8s} {path}")
    if result.tensorboard_dir:
        print(f"\ncurves: tensorboard --logdir {Path(result.tensorboard_dir).parent}")


if __name__ == "__main__":
    sys.exit(main())
