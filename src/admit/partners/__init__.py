"""Cinemas' own box-office systems as external inventory (C1, C2, C3): the adapter and its
HTTP client, showtime and seat-plan sync, and the sale's partner flow (lock → pay → confirm, or
unlock), installed into the sale as its outside inventory (``sale_hooks``); reconciliation and
bills. Above ``sales``: the sale never imports a partner."""
