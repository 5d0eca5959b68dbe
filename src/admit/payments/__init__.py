"""Payments: the gateway interface, gateways, payments and refunds."""
