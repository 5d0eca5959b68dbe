"""Clients: named organisations (and groups of them) that seats are reserved for, and the
buyers who buy for them — customer accounts linked to a client and staff representing one."""
