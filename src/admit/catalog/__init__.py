"""Catalogue: organisers, venues and seat maps, events, sessions, price levels and passes."""
