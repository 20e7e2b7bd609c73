"""Writing records to Kafka."""
