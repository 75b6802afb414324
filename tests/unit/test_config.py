from __future__ import annotations

import pytest

from safetynet.config import DEFAULT_SECRET_KEY, ConfigError, Settings, get_settings


def test_defaults_live_under_home(_isolated_home):
    s = get_settings()
    assert s.db_url == f"sqlite:///{(_isolated_home / 'safetynet.db').resolve()}"
    assert s.lake == (_isolated_home / "lake").resolve()
    assert s.feed_partition("hospital", "2024-01") == s.lake / "feeds/hospital/month=2024-01"
    assert s.locale == "zh_CN"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("SAFETYNET_LAKE_DIR", str(tmp_path / "elsewhere"))
    s = Settings()
    assert s.db_url == "postgresql://u@h/db"
    assert s.lake == (tmp_path / "elsewhere").resolve()


def test_production_refuses_default_secret(monkeypatch):
    monkeypatch.setenv("SAFETYNET_ENV", "production")
    with pytest.raises(ConfigError, match="SAFETYNET_SECRET_KEY"):
        get_settings()
    get_settings.cache_clear()
    monkeypatch.setenv("SAFETYNET_SECRET_KEY", "a-long-random-value-for-production")
    assert get_settings().secret_key != DEFAULT_SECRET_KEY


def test_invalid_value_is_named(monkeypatch):
    monkeypatch.setenv("SAFETYNET_LOCALE", "fr")
    with pytest.raises(ConfigError, match="SAFETYNET_LOCALE"):
        get_settings()


def test_cli_reports_production_default_secret_clearly(monkeypatch):
    import subprocess
    import sys

    env = {"SAFETYNET_ENV": "production", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "safetynet.cli", "db", "current"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "SAFETYNET_SECRET_KEY" in proc.stderr
    assert "Traceback" not in proc.stderr
