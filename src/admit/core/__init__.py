"""Shared kernel: settings, database, unit of work, errors, money, clock, audit, outbox."""
