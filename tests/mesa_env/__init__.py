"""Tests of the ``mesa_env`` package, one module per source module."""
