"""Candor's development kit: never imported by the services themselves."""
