"""Kafka: the local broker's lifecycle, client settings and topic administration."""
