"""Settings from the environment (``SAFETYNET_*``), with defaults that work on a laptop.

``SAFETYNET_HOME`` (default ``./var``) holds the SQLite database and the Parquet lake unless
``SAFETYNET_DATABASE_URL`` or ``SAFETYNET_LAKE_DIR`` say otherwise. The limits on input files
(``SAFETYNET_MAX_FILE_BYTES`` …) are described in docs/security.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SECRET_KEY", "ConfigError", "Settings", "get_settings"]

DEFAULT_SECRET_KEY = "change-me-this-is-not-secret"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which setting to change."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFETYNET_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    home: Path = Field(default=Path("var"))
    database_url: str | None = None
    lake_dir: Path | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    locale: Literal["zh_CN", "en"] = "zh_CN"
    timezone: str = "Asia/Shanghai"
    # Limits on input files (department feeds and registry files); see docs/security.md.
    #: largest file accepted, in bytes (2 GiB)
    max_file_bytes: int = Field(default=2 << 30, gt=0)
    #: largest total unpacked size of an XLSX workbook, in bytes (4 GiB) …
    max_xlsx_unpacked_bytes: int = Field(default=4 << 30, gt=0)
    #: … and at most this many times the size of the file itself (zip bombs)
    max_xlsx_ratio: int = Field(default=100, gt=0)
    #: a sheet may be this many columns wider than the columns its spec names
    sheet_extra_columns: int = Field(default=20, ge=0)
    #: most rows a sheet may declare or hold (the heading row included)
    max_sheet_rows: int = Field(default=10_000_000, gt=0)

    def check(self) -> Settings:
        """Refuse settings that are unsafe for the environment (the default secret in production)."""
        if self.env == "production" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigError(
                "SAFETYNET_SECRET_KEY is still the default; set a long random value before "
                "running with SAFETYNET_ENV=production."
            )
        return self

    @property
    def record_key(self) -> bytes:
        """The key of irreversible record references (:func:`safetynet.output.record_ref`)."""
        return self.secret_key.encode("utf-8")

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: the configured one, or a SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'safetynet.db').resolve()}"

    @property
    def lake(self) -> Path:
        """Root of the Parquet lake (``feeds/<source>/month=YYYY-MM/``, ``snapshots/``)."""
        return (self.lake_dir or self.home / "lake").resolve()

    def feed_partition(self, source: str, month: str) -> Path:
        """Directory of one monthly feed partition, e.g. ``lake/feeds/hospital/month=2024-01``."""
        from safetynet.feeds.lake import partition_dir

        return partition_dir(self.lake, source, month)

    @property
    def snapshots(self) -> Path:
        return self.lake / "snapshots"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide, checked settings (tests clear it with ``get_settings.cache_clear()``)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SAFETYNET_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid setting — {problems}") from None
    return settings.check()
