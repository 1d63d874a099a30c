"""Perception-gap reports: sla-monitor's comparison of a service's month as the facts tell
it with what its users said, kept and served to IT."""
