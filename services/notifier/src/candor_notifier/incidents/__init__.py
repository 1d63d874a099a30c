"""Incidents as the notifier knows them: the newest version seen, and one notice per change."""
