"""Recording stand-ins for outside systems, shared by the unit and integration tests."""
