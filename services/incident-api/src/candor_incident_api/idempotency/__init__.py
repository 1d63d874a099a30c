"""``Idempotency-Key`` on POSTs: a retried request gets the first answer, not a second effect."""
