"""Simulators of outside systems, speaking their protocols over HTTP."""
