"""`calc grants` reads a school's XLSX like every other importer: checked before loading."""

from __future__ import annotations

from tests.unit.hostile import assert_clean_refusal, far_cell_xml, run_cli, xlsx_bytes

HEAD = ["学号", "姓名", "身份证号", "困难等级"]


def test_tiny_xlsx_with_far_cell_is_refused_not_a_crash(tmp_path):
    path = tmp_path / "school.xlsx"
    path.write_bytes(xlsx_bytes([HEAD, ["S1", "张三", "", "一般困难"]], extra_xml=far_cell_xml()))
    assert path.stat().st_size < 10_000
    out = tmp_path / "grants.xlsx"
    proc = run_cli(
        [
            "calc",
            "grants",
            str(path),
            "--school-type",
            "undergraduate",
            "--funded",
            "1",
            "--out",
            str(out),
        ]
    )
    assert_clean_refusal(proc, "XFD1048576")
    assert not out.exists()


def test_declared_dimension_beyond_the_limits_is_refused(tmp_path):
    path = tmp_path / "school.xlsx"
    path.write_bytes(xlsx_bytes([HEAD, ["S1", "张三", "", "一般困难"]], dimension="A1:XFD1048576"))
    proc = run_cli(
        [
            "calc",
            "grants",
            str(path),
            "--school-type",
            "undergraduate",
            "--funded",
            "1",
            "--out",
            str(tmp_path / "grants.xlsx"),
        ]
    )
    assert_clean_refusal(proc, "XFD1048576")
