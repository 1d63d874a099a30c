"""sla-monitor."""
