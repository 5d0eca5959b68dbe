"""Selling through the other channels (FE2, API1, API2, OPS4): the booking API for kiosk,
outlet, contract-client and agent systems, per-channel rate budgets, and outlet terminals'
heartbeats."""
