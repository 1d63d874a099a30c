"""Candor's notifier: tells the people who follow a service what is happening to it."""
