"""Warning explanations name people by masked resident ID only.

Explanations written before this revision carried full resident IDs (in each hit and in the
text lines). This rewrites them in the form the engine now writes: each hit's ``resident_id``
becomes ``person`` (masked), and every 18-character ID in a line is masked. The full IDs stay
in ``warning_evidence``. Masking cannot be undone, so the downgrade leaves the data as it is.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 5_000
_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9X])(?![0-9X])")


def _mask_month(expl: Any) -> Any:
    if not isinstance(expl, dict):
        return expl
    out = dict(expl)
    hits = []
    for hit in expl.get("hits", []):
        h = dict(hit)
        if "resident_id" in h:
            rid = str(h.pop("resident_id"))
            h["person"] = rid[:6] + "********" + rid[14:] if len(rid) == 18 else rid
        hits.append(h)
    if "hits" in expl:
        out["hits"] = hits
    if "lines" in expl:
        out["lines"] = [_ID.sub(r"\1********\2", line) for line in expl["lines"]]
    return out


def upgrade() -> None:
    warning = sa.table("warning", sa.column("id", sa.Integer), sa.column("explanation", sa.JSON))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(warning.c.id, warning.c.explanation)
            .where(warning.c.id > last)
            .order_by(warning.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for wid, explanation in rows:
            masked = {month: _mask_month(e) for month, e in (explanation or {}).items()}
            if masked != explanation:
                changes.append({"b_id": wid, "explanation": masked})
        if changes:
            conn.execute(
                warning.update().where(warning.c.id == sa.bindparam("b_id")),
                changes,
            )
        last = rows[-1][0]


def downgrade() -> None:
    """Nothing to undo: the full IDs were not kept in explanations (see warning_evidence)."""
