"""Ticket production (S7, G16): thermal ticket printers at outlets, print jobs and their log,
print exceptions and their resolution."""
