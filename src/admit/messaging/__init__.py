"""Messaging: templates, channels (SMS, email, in-app) and dispatch."""
