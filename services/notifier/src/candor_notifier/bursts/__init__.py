"""Burst folding: at most one message about an incident per recipient and interval."""
