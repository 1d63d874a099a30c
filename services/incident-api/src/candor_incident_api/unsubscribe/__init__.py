"""One-click unsubscribe (RFC 8058): the link every email carries, honoured without a login."""
