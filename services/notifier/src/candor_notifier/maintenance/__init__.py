"""Planned maintenance as the notifier tells it: announcement, changes, a reminder, start, end."""
