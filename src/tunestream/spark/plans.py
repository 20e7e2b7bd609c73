"""What the job knows of the producers' plans: which entities their sources deliver.

A producer publishes its plan (:mod:`tunestream.sources.plan`) when each cycle starts and when a
resource closes — a development app's audio features answer 403, say. Stage 1 reads the plan
topic beside the entities' topics into ``records`` (column ``source_plan``); stage 2 upserts each
source's newest plan into the table ``source_plans`` (one row per source: the topics it delivers
to, what it does not fetch and why, when it was first and last published), and the driver reads
that table when a run starts and after each batch that held a plan. A plan record is a batch of
its own, so a plan that closes what tracks wait for releases them in the stage-2 batch after it,
even when no other record follows it. A track then waits only for what its source delivers
(``derived/tracks_enriched.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from tunestream.sources import spotify
from tunestream.spark.entities import ColumnMap
from tunestream.spark.lake import Lake

__all__ = ["PLANS", "ROWS", "delivered", "read_delivered"]

PLANS = "source_plans"
"""The table of the newest plan of each source."""

ROWS = ColumnMap(
    "source", {"source": "doc.source", "delivers": "doc.delivers", "closed": "doc.closed"}
)
"""The plan records' rows in ``source_plans``: the latest per source (upserted, the newer wins)."""


def delivered(
    plans: Collection[Iterable[str]], topic_entities: Mapping[str, str]
) -> frozenset[str]:
    """The entities whose topics (``topic_entities``: Kafka topic → entity) some plan delivers
    to; every entity while no plan is known (a producer that publishes none: wait as before)."""
    if not plans:
        return frozenset(spotify.NAMES)
    return frozenset(topic_entities[t] for topics in plans for t in topics if t in topic_entities)


def read_delivered(
    lake: Lake, spark: SparkSession, topic_entities: Mapping[str, str]
) -> frozenset[str]:
    """:func:`delivered` by the plans in ``source_plans`` (a plan without ``delivers`` says
    nothing)."""
    rows = lake.read(spark, PLANS).where(F.col("delivers").isNotNull()).select("delivers")
    return delivered([r["delivers"] for r in rows.collect()], topic_entities)
