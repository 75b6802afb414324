"""The one output layer: every value leaving the product passes through these functions.

This module is pure (no CLI, database or configuration import), so that the pure rules may
use it; callers pass the instance's key to :func:`record_ref`.

* **Screen** (Rich): :func:`screen` makes control characters visible and escapes Rich markup, so
  a name like ``[/x]`` prints as itself and never as markup (the CLI's consoles, in
  :mod:`safetynet.cli._common`, never turn ``:x:`` into an emoji).
* **JSON**: :func:`dumps` and :func:`write_json_line` always produce valid UTF-8 (a lone
  surrogate becomes U+FFFD), dates as ISO strings, Decimals exactly.
* **Spreadsheets** (XLSX and CSV): :func:`sheet_value` neutralises a text that a spreadsheet
  would run as a formula (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
  leading ``'``, as OWASP's CSV-injection guidance says), and :func:`xlsx_append` stores every
  text as a text cell, never as a formula.
* **People**: :func:`mask_id` (the rule of :func:`safetynet.ids.mask`), :func:`mask_text` for raw
  values, :func:`age_band` instead of a birth date beside a masked ID, and :func:`record_ref`, an
  irreversible reference (keyed HMAC) in place of a department's record ID, which often embeds
  the resident ID.

>>> screen("[/x] :x: \\x1b[2J")
'\\\\[/x] :x: \\\\x1b[2J'
>>> sheet_value('=HYPERLINK("http://x","y")'), sheet_value("-12.5"), sheet_value("-1+2")
('\\'=HYPERLINK("http://x","y")', '-12.5', "'-1+2")
>>> mask_text("记录 62012119730118685242")
'记录 620121**********5242'
>>> age_band(date(1951, 1, 20), on=date(2024, 6, 1))
'70–79 岁'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from safetynet import ids

__all__ = [
    "XLSX_MAX_TEXT",
    "age_band",
    "csv_row",
    "decimal_text",
    "dumps",
    "mask_id",
    "mask_text",
    "record_ref",
    "safe_explanation",
    "screen",
    "sheet_value",
    "shown_reject",
    "visible",
    "write_json_line",
    "xlsx_append",
]

# C0 and C1 control characters, DEL, and the bidirectional overrides that reorder text on screen.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_HIDDEN = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A run of 15 or more digits (optionally ending in X) holds, or may hold, a resident ID.
_LONG_DIGITS = re.compile(r"(?<![0-9])([0-9]{6})([0-9]{5,})([0-9]{3}[0-9Xx])(?![0-9Xx])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
#: Longest text an Excel cell holds; longer values are cut with a note.
XLSX_MAX_TEXT = 32_767


def visible(text: str) -> str:
    """``text`` with control characters (and bidi overrides) written as ``\\xNN`` / ``\\uNNNN``.

    >>> visible("a\\tb\\x00c\\u202e")
    'a\\\\x09b\\\\x00c\\\\u202e'
    """
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )


def screen(value: Any) -> str:
    """A data value ready for Rich: controls visible, markup escaped, surrogates replaced."""
    text = "" if value is None else str(value)
    return _markup_escape(visible(_SURROGATE.sub("\ufffd", text)))


# Rich's own rule (rich.markup.escape), here so that this module imports no CLI library: a
# backslash before every "[" that could open a tag, and doubled backslashes before it.
_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def _markup_escape(text: str) -> str:
    """``text`` with Rich markup escaped.

    >>> _markup_escape("[/x] [bold]b[/] a[1]")
    '\\\\[/x] \\\\[bold]b\\\\[/] a[1]'
    """
    text = _TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", text)
    return text + "\\" if text.endswith("\\") and not text.endswith("\\\\") else text


def mask_id(resident_id: str) -> str:
    """The resident ID as shown to people (:func:`safetynet.ids.mask`)."""
    return ids.mask(resident_id)


def mask_text(text: str) -> str:
    """``text`` with every resident-ID-shaped run masked (:func:`safetynet.ids.mask_text`) and,
    beyond that rule, the middle of every longer run of digits hidden (record IDs that embed a
    resident ID, such as the ID followed by a sequence number).

    >>> mask_text("张三,11010519491231002x,620102,12345")
    '张三,110105********002x,620102,12345'
    """
    masked = ids.mask_text(text)
    return _LONG_DIGITS.sub(lambda m: m[1] + "*" * len(m[2]) + m[3], masked)


def age_band(born: date | None, *, on: date | None = None) -> str | None:
    """A ten-year age band (``70–79 岁``) instead of a birth date beside a masked ID.

    >>> age_band(date(2020, 3, 1), on=date(2024, 6, 1)), age_band(None)
    ('0–9 岁', None)
    """
    if born is None:
        return None
    today = on or ids.today_in_china()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    low = max(0, years) // 10 * 10
    return f"{low}–{low + 9} 岁"


def record_ref(source: str, record_id: str, *, key: bytes) -> str:
    """An irreversible reference to a department's record: ``R-`` and 12 hex digits of the
    HMAC-SHA256 of ``source`` and ``record_id`` under the instance's secret key
    (:attr:`safetynet.config.Settings.record_key`).

    The same record always gets the same reference on one instance; without the key the record
    ID (and a resident ID inside it) cannot be recovered from it.

    >>> record_ref("hospital", "62012119730118685242", key=b"k")
    'R-f48a5f47ef3f'
    """
    message = f"{source}\x1f{record_id}".encode("utf-8", "surrogatepass")
    digest = hmac.new(key, message, hashlib.sha256)
    return "R-" + digest.hexdigest()[:12]


def safe_explanation(expl: dict[str, Any], *, key: bytes) -> dict[str, Any]:
    """A stored explanation as it may be shown: every hit's ``record_id`` replaced by its
    :func:`record_ref`, every ``resident_id`` masked, and ID-shaped text in lines masked.

    Explanations are written this way by the engine; this also covers rows written before.

    >>> e = safe_explanation({"hits": [{"indicator": "hospital", "record_id": "ZY1",
    ...     "person": "620102********1233"}], "lines": ["620102198001011233"]}, key=b"k")
    >>> e["hits"][0]["record"], "record_id" in e["hits"][0], e["lines"]
    ('R-63d6e4264be9', False, ['620102********1233'])
    """
    out = dict(expl)
    if isinstance(expl.get("hits"), list):
        hits = []
        for hit in expl["hits"]:
            h = dict(hit)
            if "record_id" in h:
                h["record"] = record_ref(str(h.get("indicator")), str(h.pop("record_id")), key=key)
            if "resident_id" in h:
                h["person"] = mask_id(str(h.pop("resident_id")))
            hits.append(h)
        out["hits"] = hits
    if isinstance(expl.get("lines"), list):
        out["lines"] = [mask_text(str(line)) for line in expl["lines"]]
    return out


def shown_reject(row: dict[str, Any], *, key: bytes, source: str | None = None) -> dict[str, Any]:
    """A quarantined row as shown on screen and in ``--json``: resident IDs in its texts masked,
    its record ID replaced by a :func:`record_ref` (``record``). The XLSX export of quarantined
    rows is the one place that keeps the full values (the department corrects and resends them).

    >>> r = shown_reject({"source": "hospital", "record_id": "ZY1", "value": "620102198001011233",
    ...                   "reason_zh": "校验位", "reason_en": "check digit"}, key=b"k")
    >>> r["value"], "record_id" in r, r["record"].startswith("R-")
    ('620102********1233', False, True)
    """
    out = {k: v for k, v in row.items() if k not in ("record_id", "line")}
    if "record_id" in row:
        record_id, where = row["record_id"], source or str(row.get("source", ""))
        out["record"] = record_ref(where, str(record_id), key=key) if record_id else None
    for name in ("value", "reason_zh", "reason_en"):
        if isinstance(row.get(name), str):
            out[name] = mask_text(row[name])
    return out


# --- JSON ------------------------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """A Decimal as a JSON number, exactly (trailing zeros dropped, never through a float).

    >>> decimal_text(Decimal("99999999999999.99")), decimal_text(Decimal("310.50"))
    ('99999999999999.99', '310.5')
    >>> decimal_text(Decimal("380.00")), decimal_text(Decimal("-0.10"))
    ('380', '-0.1')
    """
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(obj: Any) -> str:
    """JSON with Chinese kept readable, dates as ISO strings and Decimals as exact numbers; a
    lone surrogate (from broken input) becomes U+FFFD, so the text always encodes as UTF-8.

    Money is a ``Decimal`` (yuan, two decimals) and stays exact on the wire: the standard
    encoder would go through a binary float (99999999999999.99 would print as …98). Each
    Decimal is written as a placeholder string carrying a random token and its exact text,
    and the placeholders are then replaced by the bare numbers.

    >>> dumps({"subsidy": Decimal("99999999999999.99"), "people": 2, "on": date(2024, 6, 30)})
    '{"subsidy": 99999999999999.99, "people": 2, "on": "2024-06-30"}'
    >>> dumps({"name": "张\\ud800三"})
    '{"name": "张\ufffd三"}'
    >>> dumps(["a\\u202eb"]) == '["a\\\\u202eb"]'
    True
    """
    token = secrets.token_hex(8)
    found = False

    def default(value: Any) -> Any:
        nonlocal found
        if isinstance(value, Decimal):
            found = True
            return f"{token}:{decimal_text(value)}"
        return _default(value)

    text = json.dumps(obj, ensure_ascii=False, default=default)
    if found:
        text = re.sub(f'"{token}:([-0-9.]+)"', r"\1", text)
    text = _SURROGATE.sub("\ufffd", text)
    # C1 controls and bidi overrides only occur inside strings: written as \u escapes (same value)
    return _JSON_HIDDEN.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def write_json_line(obj: Any) -> None:
    """Write ``obj`` as one JSON line to stdout, as UTF-8 whatever the stream's own encoding."""
    data = (dumps(obj) + "\n").encode("utf-8")
    buffer = getattr(sys.stdout, "buffer", None)
    sys.stdout.flush()
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
        buffer.flush()
    sys.stdout.flush()


# --- spreadsheets ----------------------------------------------------------------------------


def sheet_value(value: Any) -> Any:
    """A value for an XLSX or CSV cell: numbers and dates as they are; text with control
    characters made visible, cut to what a cell holds, and neutralised when a spreadsheet would
    read it as a formula (a leading ``'``; a plain number such as ``-12.5`` stays as it is).

    >>> sheet_value("@SUM(A1)"), sheet_value("\\t=1"), sheet_value(3), sheet_value("a\\x01")
    ("'@SUM(A1)", "'\\\\x09=1", 3, 'a\\\\x01')
    """
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return value
    raw = _SURROGATE.sub("\ufffd", str(value))
    text = visible(raw)
    if len(text) > XLSX_MAX_TEXT:
        text = text[: XLSX_MAX_TEXT - 40] + " …(已截断 / truncated)"
    if raw.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(raw):
        text = "'" + text
    return text


def csv_row(values: list[Any]) -> list[Any]:
    """A row for a CSV export, every cell through :func:`sheet_value`."""
    return [sheet_value(v) for v in values]


def xlsx_append(ws: Any, values: list[Any]) -> None:
    """Append one row to an openpyxl worksheet (normal or write-only): every text is stored as
    a text cell (never a formula) after :func:`sheet_value`."""
    from openpyxl.cell import Cell

    row: list[Any] = []
    for value in values:
        v = sheet_value(value)
        if isinstance(v, str):
            cell = Cell(ws, row=1, column=1)
            cell._value = v
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(v)
    ws.append(row)
