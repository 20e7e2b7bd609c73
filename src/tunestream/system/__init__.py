"""The whole system as background processes: ``tunestream up | down | status``."""

from tunestream.system.stack import ComponentStatus, SourceStatus, System

__all__ = ["ComponentStatus", "SourceStatus", "System"]
