"""Admit: an open-source ticketing platform."""

__version__ = "0.1.0"
