"""Delivery facts the notifier reports: how each notice's deliveries settled, and endpoints
it quarantined, shown on the incident's timeline."""
