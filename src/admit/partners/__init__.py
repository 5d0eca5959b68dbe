"""Cinemas' own box-office systems as external inventory: adapter, sync, lock/confirm/unlock,
reconciliation."""
