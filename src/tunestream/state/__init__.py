"""Source state (offsets, what has been seen) kept in a compacted Kafka topic."""
