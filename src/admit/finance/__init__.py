"""Finance: the double-entry ledger, daily bills, settlement and reconciliation."""
