"""``safetynet regions`` through the real CLI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetynet.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["regions", *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_show_stats(use_db: str, official_files: list[Path]) -> None:
    code, out, _ = _run("import", *map(str, official_files), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["loaded_by_level"] == {"2": 1, "4": 14, "6": 88, "9": 1403}
    assert report["rejected"] == []

    code, out, _ = _run("show", "620102")
    assert code == 0
    assert "城关区（620102） → 兰州市（6201） → 甘肃省（62）" in out
    assert "28" in out and "酒泉路街道" in out

    code, out, _ = _run("show", "620102", "--json")
    shown = json.loads(out)
    assert [r["name"] for r in shown["chain"]] == ["甘肃省", "兰州市", "城关区"]
    assert len(shown["children"]) == 28
    assert shown["children"][0] == {
        "code": "620102001",
        "name": "酒泉路街道",
        "level": 9,
        "parent_code": "620102",
        "level_name": "乡镇街道",
    }

    code, out, _ = _run("stats", "--json")
    assert json.loads(out)["levels"] == [
        {"level": 2, "level_name": "省", "count": 1},
        {"level": 4, "level_name": "市州", "count": 14},
        {"level": 6, "level_name": "县市区", "count": 88},
        {"level": 9, "level_name": "乡镇街道", "count": 1403},
        {"level": 12, "level_name": "村社区", "count": 0},
    ]

    code, out, _ = _run("import", *map(str, official_files))
    assert code == 0
    assert "新增 new 0" in out and "未变 unchanged 1506" in out


def test_builtin_and_rejections(use_db: str, tmp_path: Path) -> None:
    code, out, _ = _run("import", "--builtin", "--json")
    assert code == 0
    assert json.loads(out)["builtin"]["loaded_by_level"] == {"2": 1, "4": 14, "6": 88}

    bad = tmp_path / "bad.csv"
    bad.write_bytes("code,name\n620102001,酒泉路街道\n620199001,孤儿镇\n".encode("gb18030"))
    code, out, _ = _run("import", str(bad))
    assert code == 0
    assert "620199001" in out and "620199" in out and "拒绝 rejected 1" in out

    code, out, _ = _run("stats")
    assert code == 0 and "乡镇街道" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["show", "620199"], "不在区划表中"),
        (["show", "abc"], "不是区划代码"),
        (["import"], "--builtin"),
        (["import", "missing.csv"], "文件不存在"),
    ],
)
def test_officer_readable_errors(use_db: str, args: list[str], needle: str) -> None:
    _run("import", "--builtin")
    code, out, err = _run(*args)
    assert code != 0
    assert out == ""
    assert needle in err


def test_show_on_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safetynet.config import get_settings

    monkeypatch.setenv("SAFETYNET_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    code, _, err = _run("show", "62")
    assert code == 1 and "safetynet db upgrade" in err


def test_demo_step(use_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    from safetynet.cli.regions import demo_step

    demo_step()
    demo_step()  # idempotent
    assert "1 省, 14 市州, 88 县市区" in capsys.readouterr().out
