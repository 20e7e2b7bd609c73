"""Benchmarks whose results go into docs/BENCHMARKS.md, each with the command that made them.

Tooling, not the pipeline: this distribution imports ``tunestream``, never the other way round;
``tunestream bench …`` reaches :mod:`tunestream_benchmarks.cli` through the entry-point group
``tunestream.commands``.
"""
