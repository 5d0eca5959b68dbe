"""Serve the SMS carrier simulator (wired as ``admit sim sms``)."""

from __future__ import annotations

from rich.console import Console

from admit.sims.sms import SmsSimConfig, create_sms_app

console = Console()


def serve_sms(host: str, port: int, access_key: str, secret: str, latency_ms: int = 0) -> None:
    """Run the simulator with the demo templates until interrupted."""
    import uvicorn

    config = SmsSimConfig(access_key=access_key, secret=secret, latency_ms=latency_ms)
    console.print(
        f"SMS carrier simulator at [bold]http://{host}:{port}[/bold] (access key {access_key!r}); "
        f"templates {', '.join(sorted(config.templates))}; messages at /v1/_messages"
    )
    uvicorn.run(create_sms_app(config), host=host, port=port, access_log=False)
