"""Sales: channels and outlets, sales windows with quotas and limits (orders, pre-sale and
client quotas come next)."""
