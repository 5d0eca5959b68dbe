"""Admission at the gate: gates, devices, validation policies, manifests, scans, attendance."""
