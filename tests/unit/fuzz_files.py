"""Property-based fuzzing of the file readers (feeds ingest, registry import): strategies that
turn a valid CSV, XLSX or Parquet file into hostile variants, and the way each example is run.

Bounded so the normal suite stays fast (``SAFETYNET_FUZZ_EXAMPLES``, default 6 per test and
database); ``make fuzz`` raises the count and runs every example as a real child process
(``SAFETYNET_FUZZ_CHILD=1``), where a death by a signal is seen as such.

The invariants, checked on every example: the command exits 0 or 1 (never by a signal), prints
no stack trace, and either refuses the file with nothing changed or accounts for every row
(rows read = accepted + quarantined, matching what was stored).
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.unit.hostile import run_cli

EXAMPLES = int(os.environ.get("SAFETYNET_FUZZ_EXAMPLES", "6"))
CHILD = os.environ.get("SAFETYNET_FUZZ_CHILD", "") not in ("", "0")

#: Settings of every fuzz test: bounded examples, no deadline (files are written and read),
#: the database fixtures are reused across examples on purpose (state carries over).
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize="SAFETYNET_FUZZ_EXAMPLES" not in os.environ,  # the normal suite: same examples
)

#: Byte strings that break parsers: NUL, line ends, quotes, separators, a cut multi-byte
#: character, escape sequences, markup, a formula, long runs.
TOKENS = [
    b"\x00", b"\r", b"\n", b"\r\n", b'"', b",", b"\t", b"\xff", b"\xef\xbb\xbf",
    "张".encode()[:2], "张".encode(), "\u0085".encode(), b"\x1b[31m", b"[/x]", b":x:",
    b"=cmd|' /C calc'!A0", b"9" * 40, b"A" * 300, b"<", b"&#0;", b"_x0000_", b"]]>",
]  # fmt: skip


@st.composite
def mutated(draw: Any, base: bytes) -> bytes:
    """``base`` after one to six random edits (flip, insert, delete, cut, repeat, token)."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "repeat", "token"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "cut":
            del data[pos:]
        elif op == "repeat":
            piece = bytes(data[pos : pos + draw(st.integers(1, 200))])
            data[pos:pos] = piece * draw(st.integers(1, 20))
        else:
            data[pos:pos] = draw(st.sampled_from(TOKENS))
    return bytes(data)


@st.composite
def mutated_xlsx(draw: Any, base: bytes) -> bytes:
    """An XLSX with one of its parts mutated and zipped again (or the zip bytes themselves)."""
    if draw(st.booleans()):
        return bytes(draw(mutated(base)))
    src = zipfile.ZipFile(io.BytesIO(base))
    names = [n for n in src.namelist() if n.endswith(".xml")]
    target = draw(st.sampled_from(sorted(names)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == target:
                data = draw(mutated(data))
            dst.writestr(item.filename, data)
    return out.getvalue()


#: Text values with control characters, line breaks, markup and odd Unicode (Parquet cells).
CELL_TEXT = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["张\x00三", "李\r\n四", "=1+1", "[/x]", "\ud7ff", "6" * 70, "2024-13-45"]),
)


def run(args: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``safetynet ARGS``: in process, or as a child process
    under ``make fuzz``; a stack trace or a death by a signal fails the test here."""
    if CHILD:
        proc = run_cli(args)
        assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
        return proc.returncode, proc.stdout, proc.stderr
    from safetynet.cli.main import app

    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # would have been a stack trace
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr
