"""Typed settings from ``ADMIT_*`` environment variables; the defaults need no configuration."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMIT_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Local state: SQLite file, keys.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file under data_dir."
    )
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    run_worker_in_process: bool = Field(
        default=True, description="Run the background worker inside the web process (demo)."
    )
    db_pool_size: int = 10
    availability_cache_seconds: float = 0.5
    log_level: str = "INFO"
    log_json: bool = False
    staff_token_hours: int = 12
    worker_poll_seconds: float = 1.0

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'admit.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
