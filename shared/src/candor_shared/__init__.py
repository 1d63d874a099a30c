"""Candor's common package: the event contract and the runtime every service stands on."""
