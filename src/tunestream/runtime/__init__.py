"""Running a source: the plan, the cycle (fetch → records → one transaction), the schedule."""
