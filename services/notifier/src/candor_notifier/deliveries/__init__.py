"""The delivery ledger: one row per notice, recipient and channel, and the sender that works it."""
