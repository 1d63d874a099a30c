"""What the notifier does with sla-monitor's conclusions: holding updates when news is due."""
