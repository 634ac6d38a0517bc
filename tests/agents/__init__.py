"""Tests of the ``agents`` package, one module per source module."""
