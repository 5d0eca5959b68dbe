"""The waiting room (S5): a queue in front of a session's sale, admissions signed for the
buyer, and the queue's HTTP routes. Below ``sales``: the sale asks it for an admission."""
