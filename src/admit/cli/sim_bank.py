"""Serve the bank payment gateway simulator (wired as ``admit sim bank``)."""

from __future__ import annotations

from rich.console import Console

from admit.sims.bank import BankSimConfig, create_bank_app

console = Console()


def serve_bank(host: str, port: int, merchant_id: str, secret: str, public_url: str) -> None:
    """Run the simulator for one merchant until interrupted. ``public_url`` prefixes the pay
    page links it hands out (default: this server's own address)."""
    import uvicorn

    base = public_url.rstrip("/") or f"http://{host}:{port}"
    config = BankSimConfig(merchants={merchant_id: secret}, public_url=base)
    console.print(
        f"Bank gateway simulator at [bold]http://{host}:{port}[/bold] (merchant {merchant_id!r}); "
        f"pay pages at {base}/pay/…; trades at /_trades, faults at /_control"
    )
    uvicorn.run(create_bank_app(config), host=host, port=port, access_log=False)
