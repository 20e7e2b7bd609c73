"""What a derived table is to the job: its name, what triggers it, and how it is rewritten.

After a stage-2 batch's entity MERGEs, the job hands each derived table whose ``triggers`` meet
the batch's entities (or its plan records, its dead letters) a :class:`Batch` and runs their
writes concurrently. A table recomputes from the entity tables only what the batch touched (its
touched keys, or slices) and MERGEs that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pyspark.sql import DataFrame, SparkSession

from tunestream.spark.entities import KEYED
from tunestream.spark.lake import Lake

__all__ = ["Batch", "Derived", "SlicedTable"]


@dataclass(frozen=True)
class Batch:
    """A stage-2 batch after its entity MERGEs, as the derived tables recompute from it."""

    spark: SparkSession
    lake: Lake
    latest: Mapping[str, DataFrame]
    """Entity → the batch's rows of it, one per key (only the entities the batch holds)."""
    cutoff_us: int | None
    """The features timeout's cutoff: the watermark minus the timeout (None before any event)."""
    moved: Mapping[str, DataFrame]
    """Derived table → the slices the batch's albums were in before their entity write."""
    delivered: frozenset[str]
    """The entities some producer's plan delivers (every entity while no plan is known)."""
    refused: DataFrame | None = None
    """The batch's rows of ``analysis_refusals`` (:mod:`..refusals`; None: it holds no dead
    letter)."""

    def ids(self, entity: str) -> DataFrame:
        """The keys of ``entity`` (a Spotify entity or an enrichment) the batch wrote, in the
        entity's key column (none: no rows)."""
        key = KEYED[entity].key
        frame = self.latest.get(entity)
        if frame is None:
            return self.spark.createDataFrame([], f"{key} string")
        return frame.select(key)

    def read(self, table: str) -> DataFrame:
        return self.lake.read(self.spark, table)


class Derived(Protocol):
    """A table recomputed from the entity tables for what each batch touched."""

    @property
    def name(self) -> str: ...

    @property
    def triggers(self) -> frozenset[str]:
        """The entities (or ``source_plan``, ``dead_letter``) whose rows in a batch make the
        table recompute."""
        ...

    def shape(self, lake: Lake, spark: SparkSession) -> DataFrame:
        """The table with no rows (to create it)."""
        ...

    def moving(
        self, lake: Lake, spark: SparkSession, latest: Mapping[str, DataFrame]
    ) -> tuple[str, DataFrame] | None:
        """An entity table whose write can move rows of this table to other slices, and the
        slices to remember before it (:attr:`Batch.moved`); None when none."""
        ...

    def write(self, batch: Batch) -> None:
        """Recompute what ``batch`` touched and MERGE it (safe to run again for the batch)."""
        ...


@dataclass(frozen=True)
class SlicedTable:
    """A derived table of aggregates, rebuilt by slices (hour x market, artist x day): a slice a
    batch touched is recomputed whole and replaces what the table held in it."""

    name: str
    triggers: frozenset[str]
    keys: tuple[str, ...]
    """The rows' MERGE keys."""
    slice_columns: str
    """A slice key set's columns (DDL), e.g. ``market string, window_start timestamp``."""
    build: Callable[[Lake, SparkSession, DataFrame], DataFrame]
    """The table's rows in some slices, from the entity tables."""
    touched: Callable[[Batch], DataFrame]
    """The slices a batch changes."""
    moved_by: str
    """The entity table whose write can move an album to another slice: an album seen earlier
    than known moves to another hour or day, and the slice it leaves must be recomputed too."""
    album_slices: Callable[[Lake, SparkSession, DataFrame], DataFrame]
    """The slices albums (``album_id``) are in."""

    def shape(self, lake: Lake, spark: SparkSession) -> DataFrame:
        return self.build(lake, spark, spark.createDataFrame([], self.slice_columns))

    def moving(
        self, lake: Lake, spark: SparkSession, latest: Mapping[str, DataFrame]
    ) -> tuple[str, DataFrame] | None:
        albums = latest.get("album")
        if albums is None:
            return None
        return self.moved_by, self.album_slices(lake, spark, albums.select("album_id"))

    def write(self, batch: Batch) -> None:
        """Rebuild the rows in the touched slices and in those a moved album left."""
        slices = self.touched(batch)
        if self.name in batch.moved:
            slices = slices.unionByName(batch.moved[self.name]).distinct()
        slices = slices.persist()
        rows = self.build(batch.lake, batch.spark, slices)
        batch.lake.replace_slices(rows, self.name, slices, self.keys)
        slices.unpersist()
