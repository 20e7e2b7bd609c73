"""The test suite's fixtures, loaded as plugins: no test imports a conftest or another test."""

pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.emulator",
    "tests.fixtures.github_standin",
    "tests.fixtures.spark",
]
