"""The whole system as background processes: ``tunestream up | down | status``."""

from tunestream.system.stack import ComponentStatus, System

__all__ = ["ComponentStatus", "System"]
