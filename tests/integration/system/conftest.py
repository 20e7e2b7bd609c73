"""The system's fixtures stay here, not in a plugin: ``scope="package"`` ends the system after this
package's last test only for a fixture defined in the package (in a plugin it would run to the end
of the session, beside every later test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.system import DATA_TIMEOUT_S, SystemUnderTest, wait_for, write_system_config


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemUnderTest]:
    """The system, up; ``down`` after the last test that uses it."""
    sut = write_system_config(tmp_path_factory.mktemp("system"))
    try:
        sut.up()
        yield sut
    finally:
        sut.run("down")


@pytest.fixture(scope="package")
def tables_with_data(system: SystemUnderTest) -> dict[str, Any]:
    """The dashboard's tables panel once the Spark job has written releases, features and
    hourly stats."""

    def ready() -> dict[str, Any] | None:
        panel = system.api("tables")
        if panel["state"] != "ok" or not panel["hourly"]["hour"]:
            return None
        if not any(panel["distributions"].values()):
            return None
        return panel

    return wait_for("releases, features and hourly stats", ready, DATA_TIMEOUT_S)
