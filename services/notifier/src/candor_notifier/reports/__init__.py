"""Post-incident reports as the notifier sends them: one email to each affected user."""
