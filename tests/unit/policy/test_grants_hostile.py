"""`calc grants` reads a school's XLSX like every other importer: checked before loading."""

from __future__ import annotations

import pytest

from tests.unit.hostile import assert_clean_refusal, far_cell_xml, run_cli, xlsx_bytes

ROWS = [["学号", "姓名", "身份证号", "困难等级"], ["S1", "张三", "", "一般困难"]]


@pytest.mark.parametrize(
    "shape",
    [{"extra_xml": far_cell_xml()}, {"dimension": "A1:XFD1048576"}],
    ids=["far-cell", "declared-dimension"],
)
def test_a_tiny_workbook_claiming_a_huge_sheet_is_refused_not_a_crash(tmp_path, shape):
    path = tmp_path / "school.xlsx"
    path.write_bytes(xlsx_bytes(ROWS, **shape))
    assert path.stat().st_size < 10_000
    out = tmp_path / "grants.xlsx"
    args = ["calc", "grants", str(path), "--school-type", "undergraduate", "--funded", "1"]
    proc = run_cli([*args, "--out", str(out)])
    assert_clean_refusal(proc, "XFD1048576")
    assert not out.exists()
