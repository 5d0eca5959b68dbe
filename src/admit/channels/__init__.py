"""Selling through the other channels (issue 19; FE1, FE2, S5, U2, RN2, API1, API2, OPS4):
the booking API for kiosk, outlet, contract-client and agent systems with per-channel rate
budgets, outlet terminals' heartbeats, and contract clients — quotas, offline payments,
quantity and seat locks, holders and collection."""
