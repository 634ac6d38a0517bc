"""Compare samplers with the paper's baselines under its protocol and regenerate its tables.

Examples::

    python evaluate.py --experiment eil --k 5 10 20 --n-jobs 2
    python evaluate.py --experiment ablation --datasets digits toy-mid --runs 10
    python evaluate.py --experiment eil --meta-train 1500      # the paper's main protocol
    python evaluate.py --experiment bcwf --datasets breast_cancer digits --runs 5

Prints a markdown table (mean ± std, best per column in bold, the paper's number beside ours
where the dataset is the paper's) and writes CSV, JSON and PNG files to ``--out``.

Every flag, the output folder and every dataset are checked before the first fit. Each finished
split is appended to ``--out``/runs.jsonl at once, so a failure late in a long run loses nothing;
``--resume`` skips the splits runs.jsonl already holds for the same configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _override(text: str) -> tuple[str, Any]:
    from agents.training import parse_override

    try:
        return parse_override(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _env_override(text: str) -> tuple[str, Any]:
    """Parse ``--meta-env KEY=VALUE``.

    The key must name a setting a checkpoint records (``mesa_env.EnvSettings.run_fields()``);
    values are checked by the protocol.
    """
    from mesa_env.settings import EnvSettings

    key, value = _override(text)
    known = EnvSettings.run_fields()
    if key not in known:
        raise argparse.ArgumentTypeError(
            f"unknown environment setting {key!r}; known: {', '.join(known)}"
        )
    return key, value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the ``mesa-evaluate`` command line (``sys.argv[1:]`` when ``argv`` is ``None``)."""
    from mesa_evaluation.protocol import EXPERIMENTS, META_ALGOS, METRIC_NAMES

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiment", choices=list(EXPERIMENTS), default="eil")
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["digits", "toy-less", "toy-mid", "toy-highly"],
        help="names, CSV paths or task suites (keel-train-fit, keel-train-valid, keel-test, …)",
    )
    parser.add_argument(
        "--samplers",
        nargs="+",
        default=[],
        metavar="FILE",
        help="sampler files to add as methods sampler:FILE (applied zero-shot)",
    )
    parser.add_argument("--runs", type=int, default=10, help="repeated splits (bcwf: ×10 runs)")
    parser.add_argument("--seed", type=int, default=0, help="base seed of the repeated runs")
    parser.add_argument("--k", type=int, nargs="+", default=None, help="ensemble sizes")
    parser.add_argument("--noise", type=float, nargs="+", default=None, help="label-noise ratios")
    parser.add_argument("--learners", nargs="+", default=None, help="base learners")
    parser.add_argument("--methods", nargs="+", default=None, help="subset of the methods")
    parser.add_argument("--metrics", nargs="+", choices=METRIC_NAMES, default=None)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", default=None, help="MESA sampler file (transfer)")
    source.add_argument(
        "--meta-train", type=int, default=0, metavar="STEPS",
        help="meta-train a SAC sampler on each split's training data first",
    )  # fmt: skip
    parser.add_argument(
        "--meta-algo", default="sac", choices=META_ALGOS,
        help="agent --meta-train uses (default sac, the paper's preset)",
    )  # fmt: skip
    parser.add_argument(
        "--meta-env", action="append", type=_env_override, default=[], metavar="KEY=VALUE",
        help="env setting for --meta-train and its classifier, e.g. progress_obs=true",
    )  # fmt: skip
    parser.add_argument(
        "--meta-hp", action="append", type=_override, default=[], metavar="KEY=VALUE",
        help="hyper-parameter override for --meta-train, e.g. gamma=0.99",
    )  # fmt: skip
    parser.add_argument(
        "--sources", nargs="+", default=["digits", "toy-less"],
        help="transfer: other tasks to meta-train samplers on",
    )  # fmt: skip
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel splits (joblib)")
    parser.add_argument("--out", default=None, help="output folder (default results/<experiment>)")
    parser.add_argument(
        "--resume", action="store_true",
        help="reuse the splits --out/runs.jsonl holds for this same configuration",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    tuned = args.meta_env or args.meta_hp or args.meta_algo != "sac"
    if tuned and not args.meta_train and args.experiment != "transfer":
        parser.error("--meta-algo/--meta-env/--meta-hp apply to --meta-train STEPS only")
    if args.k and min(args.k) < 2:
        parser.error(f"--k values must be >= 2, got {args.k}")
    try:  # every other check of the configuration, before anything runs
        config(args).resolved()
    except ValueError as error:
        parser.error(str(error))
    return args


def _methods(args: argparse.Namespace) -> tuple[str, ...] | None:
    """``--methods`` (or the experiment's list) plus one ``sampler:FILE`` per ``--samplers``."""
    if not args.samplers:
        return tuple(args.methods) if args.methods else None
    from mesa_evaluation.protocol import EXPERIMENTS

    base = args.methods or EXPERIMENTS[args.experiment].methods
    return (*base, *(f"sampler:{path}" for path in args.samplers))


def config(args: argparse.Namespace) -> Any:
    """The :class:`~mesa_evaluation.protocol.EvalConfig` the parsed flags ask for."""
    from mesa_env.suites import expand_suites
    from mesa_evaluation.protocol import EvalConfig

    return EvalConfig(
        experiment=args.experiment,
        datasets=tuple(expand_suites(args.datasets)),
        runs=args.runs,
        seed=args.seed,
        ks=args.k,
        noises=args.noise,
        learners=args.learners,
        methods=_methods(args),
        metrics=args.metrics,
        checkpoint=args.checkpoint,
        meta_train=args.meta_train,
        meta_algo=args.meta_algo,
        meta_env=dict(args.meta_env),
        meta_hp=dict(args.meta_hp),
        sources=tuple(args.sources),
        n_jobs=args.n_jobs,
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, check everything, run the experiment and print its tables."""
    args = parse_args(argv)
    from mesa_evaluation.protocol import PreflightError, evaluate
    from mesa_evaluation.report import markdown_tables

    out = Path(args.out or Path("results") / args.experiment)
    try:
        report = evaluate(config(args), out=out, progress=True, resume=args.resume)
    except PreflightError as error:  # raised before any fit: a usage error, not a crash
        print(f"{Path(sys.argv[0]).name}: error: {error}", file=sys.stderr)
        return 2
    print(markdown_tables(report))
    print(f"\n{len(report['rows'])} fits in {report['seconds']:.1f} s; files in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
