"""Benchmarks whose results go into docs/BENCHMARKS.md, each with the command that made them."""
