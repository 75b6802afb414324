"""The streaming CSV reader: encoding detection (UTF-8, UTF-8 with BOM, GB18030), a throttled
transcoding byte source for pyarrow, and reject records for malformed lines.

See :mod:`safetynet.feeds.readers` for row numbers and the encoding rules.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from safetynet.feeds._batches import ROW_FIELD, FeedReader, RawBatch, map_header, norm_heading
from safetynet.feeds.specs import FeedRefused, FeedSpec
from safetynet.feeds.validate import REJECT_SCHEMA, make_rejects
from safetynet.inputfiles import visible

__all__ = ["AHEAD_BLOCKS", "CSV_BLOCK", "SAMPLE", "open_csv"]

SAMPLE = 1 << 20
CSV_BLOCK = 16 << 20
AHEAD_BLOCKS = 3


class _Source(io.RawIOBase):
    """A byte stream for pyarrow: the file as is (UTF-8) or transcoded to UTF-8 (GB18030)."""

    def __init__(self, path: Path, encoding: str | None, hasher: Any = None) -> None:
        self.fh: BinaryIO = path.open("rb")
        self.hasher = hasher
        # pyarrow reads ahead as fast as it can; hold it to a few blocks past what the
        # consumer has taken so memory stays flat on files of any size.
        self.consumed = 0
        self.turn = threading.Condition()
        self.pos = 0
        self.decoder = codecs.getincrementaldecoder(encoding)("strict") if encoding else None
        self.buf = bytearray()
        self.eof = False
        self.broken_tail = False
        self.error: str | None = None
        # pyarrow's read-ahead thread calls read() under the GIL. If it is inside (or about to
        # enter) Python when the interpreter finalises, CPython ends that thread with
        # pthread_exit, which unwinds through C++ frames and aborts the process ("terminate
        # called without an active exception"). stop() makes every later read return EOF at
        # once, and wait_idle() waits until no read is in progress.
        self.stopped = False
        self.active = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.fh.close()
        super().close()

    def stop(self) -> None:
        """Every later read returns EOF at once (the consumer is done or gave up)."""
        with self.turn:
            self.stopped = True
            self.turn.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no read is in progress (after :meth:`stop`)."""
        with self.turn:
            self.turn.wait_for(lambda: self.active == 0, timeout=timeout)

    def taken(self, batches: int) -> None:
        """The consumer has taken ``batches`` batches (about one block each)."""
        with self.turn:
            self.consumed = batches
            self.turn.notify_all()

    def _throttle(self) -> None:
        with self.turn:
            self.turn.wait_for(
                lambda: self.stopped or self.pos <= (self.consumed + AHEAD_BLOCKS) * CSV_BLOCK,
                timeout=2.0,
            )

    def read(self, size: int = -1) -> bytes:
        with self.turn:
            if self.stopped:
                return b""
            self.active += 1
        try:
            self._throttle()
            if self.stopped:
                return b""
            return self._read(size)
        finally:
            with self.turn:
                self.active -= 1
                self.turn.notify_all()

    def _read(self, size: int) -> bytes:
        if self.decoder is None:
            chunk = self.fh.read(size)
            self.pos += len(chunk)
            if self.hasher is not None:
                self.hasher.update(chunk)
            return chunk
        size = size if size >= 0 else 1 << 62
        while len(self.buf) < size and not self.eof:
            chunk = self.fh.read(max(size, 1 << 20) if size < 1 << 62 else 1 << 24)
            self.pos += len(chunk)
            if self.hasher is not None:
                self.hasher.update(chunk)
            if not chunk:
                self.eof = True
                try:
                    text = self.decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    text, self.broken_tail = "\ufffd", True
            else:
                try:
                    text = self.decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    self.error = f"byte offset ≈ {self.pos - len(chunk) + exc.start}"
                    raise
            self.buf += text.encode("utf-8")
        out = bytes(self.buf[:size])
        del self.buf[:size]
        return out


def _detect_encoding(spec: FeedSpec, sample: bytes) -> tuple[str | None, str, list[str]]:
    """(transcode-from encoding or None for UTF-8, label, heading row)."""
    if b"\x00" in sample:
        raise FeedRefused(
            "不是文本文件（含空字节，可能是UTF-16或二进制）/ not a text CSV (NUL bytes)"
        )
    label, text = "utf-8", None
    if sample.startswith(codecs.BOM_UTF8):
        label, sample = "utf-8-sig", sample[3:]
    try:
        text = codecs.getincrementaldecoder("utf-8")("strict").decode(sample)
    except UnicodeDecodeError:
        if label == "utf-8-sig":
            raise FeedRefused(
                "文件有UTF-8标记但内容不是UTF-8 / UTF-8 BOM but invalid UTF-8"
            ) from None
    if text is not None:
        return None, label, _heading_row(text)
    try:
        text = codecs.getincrementaldecoder("gb18030")("strict").decode(sample)
    except UnicodeDecodeError:
        text = None
    if text is not None:
        header = _heading_row(text)
        try:
            map_header(spec, header)
        except FeedRefused:
            pass
        else:
            return "gb18030", "gb18030", header
    raise FeedRefused(
        "无法识别文件编码（应为UTF-8、带BOM的UTF-8或GB18030/GBK）/ cannot tell the encoding: "
        "save the file as UTF-8 or GB18030"
    )


def _heading_row(text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if "\r" in first:
        raise FeedRefused(
            "行尾只有回车符CR（旧版Mac格式），无法分行 / the lines end in CR only (old Mac "
            "format): save the file with CRLF (Windows) or LF line endings"
        )
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as exc:
        raise FeedRefused(f"表头无法解析 / cannot parse the heading row: {exc}") from None


def open_csv(spec: FeedSpec, path: Path, hasher: Any = None) -> FeedReader:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE)
    if not sample.strip():
        raise FeedRefused(f"文件为空 / the file is empty: {path.name}")
    encoding, label, header = _detect_encoding(spec, sample)
    mapping = map_header(spec, header)
    first = sample.split(b"\n", 1)[0]
    delimiter = "\t" if first.count(b"\t") > first.count(b",") else ","
    width = len(header)
    generated = [f"c{i}" for i in range(width)]
    by_field = {mapping[h]: generated[i] for i, h in enumerate(header) if h in mapping}
    extra = [norm_heading(h) for h in header if h not in mapping]
    if encoding is None and _cut_utf8_tail(path):
        # A UTF-8 file cut inside its last character: decode it on the way (the broken tail
        # becomes U+FFFD and that line is quarantined, as for GB18030).
        encoding = "utf-8"
    source = _Source(path, encoding, hasher)
    invalid: list[tuple[int, str, int]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text, row.actual_columns))
        return "skip"

    # pyarrow decodes a malformed line as UTF-8 before calling the handler; when it cannot,
    # the error would be printed as "Exception ignored …" with a traceback: see _unraisable.
    on_invalid.csv_source = source  # type: ignore[attr-defined]
    _install_unraisable_hook()

    try:
        reader = pv.open_csv(
            source,
            read_options=pv.ReadOptions(
                use_threads=False, block_size=CSV_BLOCK, skip_rows=1, column_names=generated
            ),
            parse_options=pv.ParseOptions(
                delimiter=delimiter,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
                newlines_in_values=True,
            ),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(generated, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                include_columns=list(by_field.values()),
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        source.close()
        raise _refusal(exc, source) from None

    def batches() -> Iterator[RawBatch]:
        parsed = used = taken = 0
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                    raise _refusal(exc, source) from None
                m = batch.num_rows
                taken += 1
                source.taken(taken)
                skipped = np.array(sorted(r[0] - 1 for r in invalid), dtype=np.int64)
                adj = skipped - np.arange(len(skipped))
                k = np.arange(parsed + 1, parsed + m + 1, dtype=np.int64)
                numbers = k + np.searchsorted(adj, k, side="right")
                parsed += m
                cols = {
                    f.name: (
                        batch.column(batch.schema.get_field_index(by_field[f.name]))
                        if f.name in by_field
                        else pa.nulls(m, pa.string())
                    )
                    for f in spec.fields
                }
                cols["row_number"] = pa.array(numbers)
                new = invalid[used:]
                used = len(invalid)
                table = pa.table(cols)
                malformed, blank = _malformed(new, width)
                if source.broken_tail:  # an incomplete character at the end of a cut file
                    table, broken = _split_broken(table, spec)
                    malformed = pa.concat_tables([malformed, broken])
                yield RawBatch(table, malformed, blank)
            new = invalid[used:]
            if new:
                yield RawBatch(_empty_table(spec), *_malformed(new, width))
        finally:
            _shut(reader, source)

    return FeedReader(
        "csv",
        label,
        mapping,
        extra,
        path.stat().st_size,
        batches(),
        lambda: source.pos,
        hashed=hasher is not None,
    )


def _cut_utf8_tail(path: Path) -> bool:
    """Whether the file ends inside a UTF-8 multi-byte character (a file cut short).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes("a,张".encode()[:-1]); _cut_utf8_tail(p)
    True
    >>> _ = p.write_bytes("a,张".encode()); _cut_utf8_tail(p)
    False
    """
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 4, 0))
        tail = fh.read()
    for back in range(1, min(len(tail), 4) + 1):
        byte = tail[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: look further back for the lead byte
            continue
        need = (
            2
            if byte & 0xE0 == 0xC0
            else 3
            if byte & 0xF0 == 0xE0
            else 4
            if byte & 0xF8 == 0xF0
            else 1
        )
        return need > back
    return False


def _shut(reader: Any, source: _Source) -> None:
    """Stop the read-ahead for good before the file is closed: reads return EOF from now on,
    the reader is drained to its end (then pyarrow issues no further read), and no read is
    left in progress. Without this, a refusal raised while a read-ahead was pending could
    abort the process at exit (see :class:`_Source`)."""
    source.stop()
    for _ in range(1000):  # each call returns at once: the source answers EOF
        try:
            reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowException, UnicodeDecodeError, ValueError):
            continue
    source.wait_idle()
    source.close()


_HOOK_INSTALLED = False


def _install_unraisable_hook() -> None:
    """Route pyarrow's failure to decode a malformed line (raised inside its callback, so
    Python would print it as an ignored exception with a traceback) to the reader: the line
    is not UTF-8, which refuses the file with a message instead."""
    global _HOOK_INSTALLED
    if _HOOK_INSTALLED:
        return
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        source = getattr(unraisable.object, "csv_source", None)
        if isinstance(source, _Source) and isinstance(unraisable.exc_value, UnicodeDecodeError):
            source.error = source.error or "a malformed line"
            return
        previous(unraisable)

    sys.unraisablehook = hook
    _HOOK_INSTALLED = True


def _refusal(exc: BaseException, source: _Source) -> FeedRefused:
    if isinstance(exc, UnicodeDecodeError) or source.error:
        return FeedRefused(
            f"文件中有无法解码的字符（编码混杂？）/ undecodable bytes in the file ({source.error})"
        )
    text = str(exc)
    if "UTF8" in text or "utf8" in text.lower():
        return FeedRefused(
            "文件中有非UTF-8字符（编码混杂？）/ bytes that are not UTF-8 (mixed encodings?)"
        )
    return FeedRefused(f"CSV无法解析 / cannot parse the CSV: {visible(text.splitlines()[0])}")


def _malformed(rows: list[tuple[int, str, int]], width: int) -> tuple[pa.Table, int]:
    blank = [r for r in rows if not r[1].strip()]
    bad = [r for r in rows if r[1].strip()]
    if not bad:
        return REJECT_SCHEMA.empty_table(), len(blank)
    parts = []
    for reason in ("columns_short", "columns_long"):
        sel = [r for r in bad if (r[2] < width) == (reason == "columns_short")]
        if sel:
            parts.append(
                make_rejects(
                    pa.array([r[0] - 1 for r in sel], pa.int64()),
                    pa.array([r[1].split(",", 1)[0] or None for r in sel], pa.string()),
                    ROW_FIELD,
                    pa.array([r[1][:500] for r in sel], pa.string()),
                    reason,
                )
            )
    return pa.concat_tables(parts), len(blank)


def _split_broken(table: pa.Table, spec: FeedSpec) -> tuple[pa.Table, pa.Table]:
    """Rows holding U+FFFD (only the cut last line can) leave the table as reject records."""
    mask = np.zeros(table.num_rows, dtype=bool)
    for f in spec.fields:
        hit = pc.match_substring(table.column(f.name), "\ufffd")
        mask |= np.asarray(pc.fill_null(hit, False))
    if not mask.any():
        return table, REJECT_SCHEMA.empty_table()
    bad = table.filter(pa.array(mask))
    values = pc.binary_join_element_wise(
        *[pc.fill_null(bad.column(f.name), "") for f in spec.fields], ","
    )
    rejects = make_rejects(
        bad.column("row_number").combine_chunks(),
        bad.column(spec.record_id).combine_chunks(),
        ROW_FIELD,
        values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values,
        "encoding",
    )
    return table.filter(pa.array(~mask)), rejects


def _empty_table(spec: FeedSpec) -> pa.Table:
    cols: dict[str, pa.Array] = {f.name: pa.array([], pa.string()) for f in spec.fields}
    cols["row_number"] = pa.array([], pa.int64())
    return pa.table(cols)
