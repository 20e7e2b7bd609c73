"""The plan record: what a source's producer delivers, for the readers of its topics.

A producer learns its plan as it goes (``runtime/plan.py``: a resource switched off in the
configuration, or closed by the API's 403, is not fetched). It publishes the plan to the compacted
topic ``kafka.topics.source_plan``, keyed by the source's name, at the start of every cycle and
whenever a resource closes, in the same Kafka transaction as the records around it, so that a
``read_committed`` reader knows the plan before it sees a record fetched under a later one. Its
value is a JSON object::

    {"source": "spotify",
     "delivers": ["spotify.albums", "spotify.artists", "spotify.tracks"],
     "closed": {"audio_features": "forbidden to these credentials (HTTP 403)", ...},
     "at": "2026-11-20T12:00:01.234Z"}

``delivers``: the Kafka topics the plan writes records to (a topic whose resources are closed,
or reached only through closed ones, is not there); ``closed``: each resource not fetched, and
why. Its headers are a record's (``tunestream.source``, ``.cycle``, ``.fetched_at``, and
``tunestream.schema``: :data:`SCHEMA`). The Spark job reads it so that a track waits only for
the entities its source delivers (``spark/plans.py``). Plain Python: the producer reads it without
PySpark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["PLAN", "SCHEMA", "document"]

PLAN = "source_plan"
"""The ``kafka.topics`` key of the plan topic; the job files its records under this name too."""
SCHEMA = "tunestream.source_plan.v1"
"""The plan record's schema id (its ``tunestream.schema`` header)."""


def document(
    source: str, delivers: Iterable[str], closed: Mapping[str, str], at: str
) -> dict[str, Any]:
    """The plan record's value: ``delivers`` Kafka topic names, ``closed`` resource → reason."""
    return {"source": source, "delivers": sorted(delivers), "closed": dict(closed), "at": at}
