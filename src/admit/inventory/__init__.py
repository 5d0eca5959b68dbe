"""Inventory: per-session seat plans, seat states and categories, client reservations, GA counts."""
