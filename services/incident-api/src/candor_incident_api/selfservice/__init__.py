"""Self-service subscriptions: subscribe without a login (double opt-in), manage preferences
through a signed link."""
