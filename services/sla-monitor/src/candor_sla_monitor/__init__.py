"""sla-monitor: keeps the availability ledger from the incident and alert events."""
