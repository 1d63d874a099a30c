"""Planned maintenance: announced ahead, started and completed on time, never an outage."""
