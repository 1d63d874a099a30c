"""Helpers of the intake adapter tests (``tests/incident_api/test_sources_*.py``)."""
