"""Tests of the ``mesa_baselines`` package, one module per source module."""
