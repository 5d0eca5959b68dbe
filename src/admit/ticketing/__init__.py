"""Tickets: codes, signed QR payloads, renderings."""
