"""The test suite's fixtures, loaded as plugins: no test imports a conftest or another test."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.emulator",
    "tests.fixtures.github_standin",
    "tests.fixtures.spark",
]

LAST = ("sasl_ssl_cluster", "kafka_cluster")
"""Session fixtures of extra broker JVMs: the tests that use them run last, in this order, so that
those JVMs (started by the first such test, stopped after the session) do not share the CPUs with
every other test."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        names = set(getattr(item, "fixturenames", ()))
        return max((n + 1 for n, fixture in enumerate(LAST) if fixture in names), default=0)

    items.sort(key=rank)  # stable: the order within each rank is the collection's
