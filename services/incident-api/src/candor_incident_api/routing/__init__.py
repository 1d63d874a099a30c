"""Routing: which service (and component) an alert concerns; unrouted alerts kept for operators."""
