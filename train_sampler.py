"""Meta-train a MESA sampler: ``python train_sampler.py --help`` (same as ``mesa-train``).

A thin front; the command lives in :mod:`agents.train_cli`.
"""

import sys

from agents.train_cli import main

if __name__ == "__main__":
    sys.exit(main())
