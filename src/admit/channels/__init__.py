"""Selling through the other channels (issue 19). Contract clients (S5, FE1, U2, RN2):
contract quotas, offline payments, quantity and seat locks, holders and collection."""
