"""Perception: what users said about incidents, the ledger's perceived column, and the
perception-gap report that puts it beside the facts."""
