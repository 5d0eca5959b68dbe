"""After the sale (issue 18, items 1–2): refund policies and requests, exchanges, cancelling
a session. ``wiring`` installs its answers to the sale (``aftersale.hooks``)."""
