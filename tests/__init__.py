"""The test suite: one folder per package, mirroring its modules."""
