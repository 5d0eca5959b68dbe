"""Machinery shared by test packages that is neither a fixture nor a fake."""
