"""Commands, their handlers and the unit of work (one database transaction per command)."""
