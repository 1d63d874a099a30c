"""Feedback: what users say about an incident, through the signed link in its report."""
