"""Migration 0036 on both databases: the cinemas' reconciliation runs and exceptions (resolved
ones with their notes) move to the shared tables under ``cinema:<id>``, new rows get new ids
after them, and the downgrade brings the cinemas' rows back (a gateway's have no place there)."""

from __future__ import annotations

import asyncio

from alembic import command
from tests.integration.accounts.migration_fixtures import empty_url, run_sql  # noqa: F401

from admit.migrations import alembic_config, upgrade

AT = "'2026-11-23 01:00:00+00:00'"
BEFORE = [
    "INSERT INTO organiser (id, code, name, created_at) VALUES (1, 'O', 'O', " + AT + ")",
    "INSERT INTO venue (id, code, name, address, use, capacity, search_text, created_at)"
    " VALUES (1, 'V', 'V', '', '', 0, '', " + AT + ")",
    "INSERT INTO partner_cinema (id, system, code, name, venue_id, organiser_id, created_at)"
    " VALUES (7, 'cinema', 'C001', 'Lumière', 1, 1, " + AT + ")",
    "INSERT INTO partner_recon_run (id, cinema_id, day, ran_at, status, matched,"
    " platform_total, partner_total, open_exceptions)"
    " VALUES (3, 7, '2026-11-22', " + AT + ", 'done', 4, 20000, 19500, 1)",
    "INSERT INTO partner_recon_exception (id, run_id, cinema_id, day, order_no, kind,"
    " platform_amount, partner_amount, status, note, resolved_by, resolved_at, created_at)"
    " VALUES (5, 3, 7, '2026-11-22', 'O1', 'amount_differs', 4500, 4000, 'resolved',"
    " 'credit note 17', 'root', " + AT + ", " + AT + "),"
    " (6, 3, 7, '2026-11-22', 'O2', 'missing_at_cinema', 9000, NULL, 'open', NULL, NULL,"
    " NULL, " + AT + ")",
]
EXCEPTIONS = (
    "SELECT id, run_id, counterparty, ref, kind, line_kind, platform_amount, partner_amount,"
    " status, note FROM recon_exception ORDER BY id"
)


async def test_the_cinemas_reconciliation_moves_to_the_shared_tables_and_back(
    empty_url: str,  # noqa: F811
) -> None:
    await asyncio.to_thread(upgrade, empty_url, "0035")
    await run_sql(empty_url, *BEFORE)

    await asyncio.to_thread(upgrade, empty_url)

    runs = "SELECT id, counterparty, day, status, matched, partner_total, open_exceptions"
    assert [tuple(map(str, r)) for r in await run_sql(empty_url, f"{runs} FROM recon_run")] == [
        ("3", "cinema:7", "2026-11-22", "done", "4", "19500", "1")
    ]
    assert await run_sql(empty_url, EXCEPTIONS) == [
        (
            5,
            3,
            "cinema:7",
            "O1",
            "amount_differs",
            "sale",
            4500,
            4000,
            "resolved",
            "credit note 17",
        ),
        (6, 3, "cinema:7", "O2", "missing_at_cinema", "sale", 9000, None, "open", None),
    ]
    fresh = await run_sql(
        empty_url,
        "INSERT INTO recon_run (counterparty, day, ran_at, status, source, lines, matched,"
        " platform_total, partner_total, open_exceptions)"
        " VALUES ('gateway:bank', '2026-11-22', " + AT + ", 'done', 'fetched', 0, 0, 0, 0, 0)",
        "SELECT id FROM recon_run WHERE counterparty = 'gateway:bank'",
    )
    assert fresh[0][0] == 4  # after the copied ids

    await asyncio.to_thread(command.downgrade, alembic_config(empty_url), "0035")

    assert await run_sql(
        empty_url, "SELECT id, cinema_id, order_no, status FROM partner_recon_exception ORDER BY id"
    ) == [(5, 7, "O1", "resolved"), (6, 7, "O2", "open")]
    assert await run_sql(empty_url, "SELECT id, cinema_id FROM partner_recon_run") == [(3, 7)]
