"""The package's two optional C modules; everything else is in ``pyproject.toml``.

Both sit on the env step's path and change no result (each is checked against, or tested bit
for bit against, the scikit-learn or numpy code it replaces):

- ``mesa_env._tree_builder``: scikit-learn's depth-first best-split tree builder on presorted
  features, used by ``mesa_env.tree_refit`` after a byte-for-byte check against ``fit``;
- ``mesa_env._step_kernels``: meta-sampling's keys, the state's histograms and the ensemble's
  running mean, one loop each.

``optional=True``: without a C compiler pip installs the rest and the same numbers come from
scikit-learn and numpy, slower. ``-ffp-contract=off``: no fused multiply-add, so every float
operation rounds as the code it replaces rounds it.
"""

from setuptools import Extension, setup

# -O2 for the tree builder: measured faster than -O3 on a step's subsets (0.29 against 0.47 ms
# on 370 x 6 rows, benchmarks/tree_builder.py); -O3 for the kernels, whose loops it vectorises.
NO_FMA = ["-ffp-contract=off"]

setup(
    ext_modules=[
        Extension(
            "mesa_env._tree_builder",
            ["mesa_env/_tree_builder.c"],
            extra_compile_args=["-O2", *NO_FMA],
            optional=True,
        ),
        Extension(
            "mesa_env._step_kernels",
            ["mesa_env/_step_kernels.c"],
            extra_compile_args=["-O3", *NO_FMA],
            optional=True,
        ),
    ]
)
