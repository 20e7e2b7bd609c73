"""tunestream: poll web APIs on a schedule and stream what they return into Apache Kafka."""

__version__ = "0.1.0"
