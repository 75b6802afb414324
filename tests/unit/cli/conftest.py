"""The poisoned province, built once per test module (see :mod:`tests.unit.cli.poison`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from safetynet.config import get_settings
from tests.unit.cli.poison import Province, build


@pytest.fixture(scope="module")
def _province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    root = tmp_path_factory.mktemp("poisoned")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SAFETYNET_HOME", str(root / "home"))
        for var in ("SAFETYNET_DATABASE_URL", "SAFETYNET_LAKE_DIR", "SAFETYNET_ENV"):
            mp.delenv(var, raising=False)
        get_settings.cache_clear()
        yield build(root)
    get_settings.cache_clear()


@pytest.fixture
def poisoned(_province: Province, monkeypatch: pytest.MonkeyPatch) -> Province:
    """The CLI pointed at the poisoned province."""
    monkeypatch.setenv("SAFETYNET_HOME", str(_province.home))
    get_settings.cache_clear()
    return _province
