"""Post-incident reports: what happened, why, what was done, and what will be done."""
