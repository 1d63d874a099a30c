"""Reports: sla-monitor's monthly reports of each service, kept and served to IT."""
