"""Error budgets and burn rates of availability objectives, and the alerts they raise."""
