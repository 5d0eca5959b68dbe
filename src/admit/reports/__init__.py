"""Reports (G8, C4): revenue by period and by what was sold, refunds, seller rankings, the
audience's sources and the bills per day — set-based aggregates over payments, refunds,
orders and tickets, as JSON, CSV, XLSX and a page with a chart. Read-only."""
