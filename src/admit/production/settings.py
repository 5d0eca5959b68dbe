"""How long the platform waits for ticket printers (``ADMIT_PRINTER_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PrinterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMIT_PRINTER_", extra="ignore")

    connect_timeout_seconds: float = Field(
        default=3.0, description="Connecting and the paper status before a job."
    )
    ack_timeout_seconds: float = Field(
        default=15.0,
        description="The acknowledgement after a job (an 80 mm ticket prints in about a second).",
    )
    sim_port: int | None = Field(
        default=None,
        description="Where the demo serves the printer simulator in process (e.g. 9100); "
        "only with the simulators in process. Default: none (run ``admit sim printer``).",
    )
