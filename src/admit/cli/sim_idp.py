"""Serve the OpenID Connect identity-provider simulator (wired as ``admit sim idp``)."""

from __future__ import annotations

from rich.console import Console

from admit.sims.idp import IdpClient, IdpSimConfig, create_idp_app

console = Console()


def serve_idp(
    host: str, port: int, client_id: str, secret: str, redirect_uris: list[str], issuer: str
) -> None:
    """Run the simulator with one registered client until interrupted."""
    import uvicorn

    issuer = issuer or f"http://{host}:{port}"
    config = IdpSimConfig(
        issuer=issuer, clients={client_id: IdpClient(secret, tuple(redirect_uris))}
    )
    console.print(
        f"OpenID Connect provider simulator, issuer [bold]{issuer}[/bold] (client "
        f"{client_id!r}, redirect URIs {', '.join(redirect_uris) or 'none'})"
    )
    uvicorn.run(create_idp_app(config), host=host, port=port, access_log=False)
