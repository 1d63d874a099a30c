"""Agreements: the terms incident-api publishes on the catalog topic, kept for evaluation."""
