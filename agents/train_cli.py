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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from agents.registry import AGENT_NAMES

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--algo", choices=AGENT_NAMES, default="sac", help="agent (default sac)")
    parser.add_argument(
        "--dataset",
        action="append",
        help="task name or CSV path; repeat for cross-task meta-training (default digits)",
    )
    parser.add_argument("--total-timesteps", type=_positive_int, default=1500)
    parser.add_argument("--n-estimators", type=int, default=10, help="ensemble size k")
    parser.add_argument("--n-bins", type=int, default=5, help="histogram bins per split")
    parser.add_argument("--sigma", type=float, default=0.2)
    parser.add_argument("--histogram", choices=("all", "majority"), default="all")
    parser.add_argument("--reward-scale", type=float, default=None, help="default 100 (SB3)")
    parser.add_argument("--label-noise", type=float, default=0.0)
    parser.add_argument("--train-ratio", type=float, default=1.0)
    parser.add_argument("--progress-obs", action="store_true", help="append t/k to the state")
    parser.add_argument("--base-learner", choices=BASE_LEARNERS, default="dt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-envs", type=_positive_int, default=1, help="parallel envs")
    parser.add_argument("--tensorboard-log", default="runs", help="'' to disable")
    parser.add_argument("--save", default=None, help="checkpoint stem (default checkpoints/…)")
    parser.add_argument(
        "--resume",
        default=None,
        help="continue training an SB3 checkpoint (its .zip is unpickled: TRUSTED FILES ONLY)",
    )
    parser.add_argument("--hp", action="append", type=_hp_pair, default=[], help="key=value")
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--no-progress-bar", action="store_true")
    args = parser.parse_args(argv)
    for name in ("n_estimators", "n_bins"):
        if getattr(args, name) < (2 if name == "n_estimators" else 1):
            parser.error(f"--{name.replace('_', '-')} is too small: {getattr(args, name)}")
    if args.sigma <= 0:
        parser.error(f"--sigma must be positive, got {args.sigma}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from agents.training import meta_train

    datasets = args.dataset or ["digits"]
    tasks = "+".join(Path(d).stem for d in datasets)
    save = args.save or str(Path("checkpoints") / f"{args.algo}_{tasks}_seed{args.seed}")
    if args.resume and not args.save:
        save = args.resume.removesuffix(".zip")  # continue in place
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
    result = meta_train(
        algo=args.algo,
        datasets=datasets,
        total_timesteps=args.total_timesteps,
        seed=args.seed,
        n_envs=args.n_envs,
        hyperparameters=dict(args.hp),
        env_kwargs=env_kwargs,
        base_estimator=None if args.base_learner == "dt" else make_base_learner(args.base_learner),
        tensorboard_log=args.tensorboard_log or None,
        save=save,
        resume=args.resume,
        progress_bar=not args.no_progress_bar,
        eval_episodes=args.eval_episodes,
    )
    meta = result.metadata
    speed = f" in {meta['train_seconds']:.1f} s ({meta['timesteps_per_second']:.0f} steps/s)"
    print(
        f"\nmeta-trained {meta['algo']} for {meta['timesteps']} steps"
        + (speed if meta["train_seconds"] else "")
    )
    for task, row in result.evaluation.items():
        scores = ", ".join(
            f"{split} {row[f'{split}_score_mean']:.4f} ± {row[f'{split}_score_std']:.4f}"
            for split in ("valid", "test")
            if f"{split}_score_mean" in row
        )
        print(f"  {task}: final ensemble {result.metadata['env']['metric']} {scores}")
    for kind, path in result.paths.items():
        print(f"  {kind:8s} {path}")
    if result.tensorboard_dir:
        print(f"\ncurves: tensorboard --logdir {Path(result.tensorboard_dir).parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
