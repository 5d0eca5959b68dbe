"""Accounts: staff and their tokens (customers, holders, roles and API clients build on this)."""
