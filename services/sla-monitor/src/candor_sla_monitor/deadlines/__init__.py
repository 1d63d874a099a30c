"""Deadlines: the response terms of an agreement as durable timers that fire ``sla.*`` events."""
