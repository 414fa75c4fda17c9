"""One router module per surface of the service."""
