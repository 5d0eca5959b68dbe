"""Where the cinemas' box-office system is (``ADMIT_CINEMA_*``); by default the simulator
served under ``/_sim/cinema`` by the same process."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CinemaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMIT_CINEMA_", extra="ignore")

    url: str | None = Field(
        default=None, description="The cinemas' box-office system; default: the simulator."
    )
    system: str = Field(default="cinema", description="The name partner cinemas record.")
    app_code: str = "admit"
    secret: str = "dev-secret"
    timeout_seconds: float = 5.0
