"""Services: one command = one transaction holding the change and its outbox events."""
