"""The availability ledger: each service's declared outages and measured alert intervals."""
