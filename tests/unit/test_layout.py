"""The house rules a reader of ``src/tunestream`` relies on, checked on the tree itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream.errors import ConfigError
from tunestream.extras import Requirement

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tunestream"
LIMIT = 400
REASON = "Longer than 400 lines because"
"""A module past the limit says why in its first lines, starting with these words."""


def test_no_pipeline_module_is_long_without_a_reason() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50, "the package was not found where this test looks"
    long = [
        f"{path.relative_to(PACKAGE)}: {len(lines)} lines"
        for path in modules
        if len(lines := path.read_text().splitlines()) > LIMIT
        and not any(line.lstrip('"').startswith(REASON) for line in lines[:20])
    ]
    assert not long, long


def test_a_missing_module_is_one_line_naming_the_install() -> None:
    requirement = Requirement(("json", "no_such_module_tunestream"), "pip install 'x[y]'")
    with pytest.raises(ConfigError) as caught:
        requirement.check("tunestream thing")
    assert str(caught.value) == (
        "tunestream thing needs no_such_module_tunestream, not installed: pip install 'x[y]'"
    )
    Requirement(("json",), "unused").check("present")  # all there: no error
