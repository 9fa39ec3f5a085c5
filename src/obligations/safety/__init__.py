"""Keeping the data safe: backup and verified restore, one unit's export, and ``verify`` of
every stored evidence file."""
