"""Names the job writes under and its readers look for: its two queries' checkpoint folders."""

from __future__ import annotations

__all__ = ["QUERY_NAME", "TABLES_QUERY_NAME"]

QUERY_NAME = "kafka_records"
"""Stage 1, Kafka → records; its checkpoint holds the job's Kafka offsets."""
TABLES_QUERY_NAME = "records_tables"
"""Stage 2, records → entity and derived tables."""
