"""Email: composing a notice for one recipient, and talking to the SMTP relay."""
