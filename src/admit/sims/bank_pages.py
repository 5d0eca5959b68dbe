"""The bank simulator's payer pages: the trade, Approve and Decline, and plain messages when the
trade can no longer be paid. Small, server-rendered and accessible (a browser test drives the
buttons by their ids ``approve`` and ``decline``)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from admit.core.local_time import local_time
from admit.sims.bank_state import Trade

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}dt{font-weight:600}dd{margin:0 0 .6rem}"
    "button{font-size:1rem;padding:.6rem 1.2rem;margin:0 .5rem .5rem 0;cursor:pointer}"
    "#approve{background:#0b6e2f;color:#fff;border:0;border-radius:.3rem}"
    "#decline{background:#fff;color:#8a1c1c;border:1px solid #8a1c1c;border-radius:.3rem}"
)


def format_amount(amount: int, currency: str) -> str:
    """Minor units as major units with two decimals: ``¥15.00`` for yuan."""
    units, cents = divmod(amount, 100)
    return f"¥{units:,}.{cents:02d}" if currency == "CNY" else f"{units:,}.{cents:02d} {currency}"


def _when(at: datetime) -> str:
    """A time as a Chinese bank's page shows it: Beijing time (the buyer's and the venue's)."""
    return (
        f'<time datetime="{at.astimezone(UTC).isoformat()}">'
        f"{local_time(at, '%Y-%m-%d %H:%M')} Beijing time</time>"
    )


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · Bank (simulator)</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _details(trade: Trade) -> str:
    return (
        "<dl>\n"
        f"<dt>Merchant</dt><dd>{escape(trade.merchant_id)}</dd>\n"
        f"<dt>Order</dt><dd>{escape(trade.subject)} ({escape(trade.out_trade_no)})</dd>\n"
        f'<dt>Amount</dt><dd id="amount">{format_amount(trade.amount, trade.currency)}</dd>\n'
        f"<dt>Pay before</dt><dd>{_when(trade.expires_at)}</dd>\n"
        "</dl>"
    )


def pay_page(trade: Trade) -> str:
    """The trade with its two decisions; the form posts back to this page's own URL."""
    amount = format_amount(trade.amount, trade.currency)
    return _document(
        "Confirm payment",
        f"{_details(trade)}\n"
        '<form method="post" aria-label="Payment decision">\n'
        f'<button type="submit" id="approve" name="decision" value="approve">Approve and pay '
        f"{amount}</button>\n"
        '<button type="submit" id="decline" name="decision" value="decline">Decline</button>\n'
        "</form>",
    )


def notice_page(title: str, message: str, trade: Trade | None = None) -> str:
    """A message instead of the buttons: the trade is paid, declined, closed or expired, or
    there is no such trade, or the request was malformed."""
    back = (
        f'<p><a href="{escape(trade.return_url)}">Return to the merchant</a></p>'
        if trade is not None
        else ""
    )
    details = _details(trade) if trade is not None else ""
    return _document(title, f'<p role="status">{escape(message)}</p>\n{details}\n{back}')
