"""Reading division files: encodings, headings, refusal of unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetynet.regions._files import DivisionFileError, detect_encoding, read_division_file


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


TEXT = "code,name,provinceCode\n6201,兰州市,62\n6202,嘉峪关市,62\n"


@pytest.mark.parametrize(
    ("data", "expected", "first_name"),
    [
        (TEXT.encode("utf-8"), "utf-8", "兰州市"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig", "兰州市"),
        (TEXT.encode("gb18030"), "gb18030", "兰州市"),
        (b"code,name\n62,Gansu\n", "utf-8", "Gansu"),
    ],
)
def test_detects_encoding(data: bytes, expected: str, first_name: str, tmp_path: Path) -> None:
    assert detect_encoding(data) == expected
    encoding, rows = read_division_file(_write(tmp_path / "f.csv", data))
    assert encoding == expected
    assert rows[0].name == first_name


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-16"),  # BOM
        b"PK\x03\x04\x00\x00binary",  # an Excel workbook renamed .csv
        b"code,name\n62,\x81\x30\n",  # truncated GB18030 four-byte sequence
        b"code,name\n62,\x80\x80\x80\n",  # neither UTF-8 nor GB18030
    ],
)
def test_refuses_rather_than_guesses(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(DivisionFileError):
        read_division_file(_write(tmp_path / "f.csv", data))


def test_headings_and_lines(tmp_path: Path) -> None:
    text = "区划代码,名称,上级代码,城乡分类\n620102,城关区,6201,111\n\n620103,七里河区,,\n"
    _, rows = read_division_file(_write(tmp_path / "f.csv", text.encode("gb18030")))
    assert [(r.line, r.code, r.name) for r in rows] == [
        (2, "620102", "城关区"),
        (4, "620103", "七里河区"),
    ]
    assert rows[0].parents == (("上级代码", "6201"),)
    assert rows[1].parents == ()


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("f.csv", b"id,title\n1,x\n", "missing column code and name"),
        ("f.csv", b"", "empty"),
        ("f.xlsx", b"whatever", "must be CSV"),
    ],
)
def test_officer_readable_errors(name: str, data: bytes, needle: str, tmp_path: Path) -> None:
    with pytest.raises(DivisionFileError, match=needle):
        read_division_file(_write(tmp_path / name, data))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DivisionFileError, match="file not found"):
        read_division_file(tmp_path / "nope.csv")
