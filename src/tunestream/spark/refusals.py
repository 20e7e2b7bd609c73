"""The audio analyses the producers refused to send, too large for their topic: which, and why.

A record its topic would refuse is never sent: the producer writes a dead letter naming it in its
place, with ``error`` saying why and the ``topic`` that would refuse it
(:mod:`tunestream.runtime.wire`). Stage 1 reads the dead-letter topic beside the entities' topics
into ``records`` (column ``dead_letter``); stage 2 upserts, from the dead letters naming an audio
analysis topic, one row per track into the table ``analysis_refusals`` (the error, when first and
last refused). A track then waits no longer for its analysis, and its ``tracks_enriched`` row says
why the analysis is missing (``derived/tracks_enriched.py``). Dead letters of failed requests name
no topic: the job leaves them to the dead-letter topic's readers.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tunestream.spark.entities import ColumnMap

__all__ = ["REFUSALS", "ROWS", "refusals"]

REFUSALS = "analysis_refusals"
"""The table of the tracks whose audio analysis was refused, and why."""

ROWS = ColumnMap("track_id", {"track_id": "get(doc.items, 0)", "error": "doc.error"})
"""A refusal's row: the track (the one item a refusal names) and the error; the newer wins."""


def refusals(dead_letters: DataFrame, topic_entities: Mapping[str, str]) -> DataFrame:
    """The ``analysis_refusals`` rows of the dead letters' :func:`.entities.documents`
    (``topic_entities``: Kafka topic → entity): those naming an audio analysis topic, the latest
    per track."""
    topics = [topic for topic, entity in topic_entities.items() if entity == "audio_analysis"]
    return ROWS(dead_letters.where(F.col("doc.topic").isin(topics)))
