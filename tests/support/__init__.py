"""Helpers the tests share, by subject; fixtures are plugins in ``tests/fixtures``."""
