"""Write one named section of docs/BENCHMARKS.md, leaving the others as they are.

A section lives between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; writing it again
replaces what is between the markers; a new section is appended at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["DEFAULT_REPORT", "write_section"]

DEFAULT_REPORT = Path("docs/BENCHMARKS.md")
_HEADER = (
    "# Benchmarks\n\n"
    "Each section is written by the command it names; run that command again to refresh it.\n"
)


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) the section ``name`` of the report at ``path`` with ``body``."""
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise ValueError(f"section name {name!r}: use lowercase letters, digits, - and _")
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else _HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
