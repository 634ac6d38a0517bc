"""Compare samplers with the baselines: ``python evaluate.py --help`` (same as ``mesa-evaluate``).

A thin front; the command lives in :mod:`mesa_evaluation.cli`.
"""

import sys

from mesa_evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
