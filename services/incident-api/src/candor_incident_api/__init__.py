"""incident-api."""
