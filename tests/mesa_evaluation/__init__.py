"""Tests of the ``mesa_evaluation`` package, one module per source module."""
