"""Recipient preferences: quiet hours and digests of minor-impact notices."""
