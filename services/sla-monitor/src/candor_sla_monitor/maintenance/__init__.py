"""Maintenance: the windows incident-api announces, kept to exclude them from availability."""
