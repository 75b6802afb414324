"""Masks that cannot be undone: the reveal log, and record references in stored findings.

- ``reveal_log``: who saw unmasked personal data (``registry show --unmasked``), when, why and
  what; append-only.
- Stored explanations (``warning_month.explanation``) named each feed record by its ID, which
  departments often build from the resident ID (ID + sequence number), next to the masked ID.
  Each hit's ``record_id`` becomes ``record``, the irreversible reference the engine now writes
  (:func:`safetynet.output.record_ref`, keyed with ``SAFETYNET_SECRET_KEY`` as configured when
  the migration runs); resident-ID-shaped text left in lines is masked. The full record IDs
  stay in ``warning_evidence``. A reference cannot be turned back, so the downgrade keeps them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 5_000


_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9Xx])")


def _ref(key: bytes, source: str, record_id: str) -> str:
    """The record reference of safetynet.output.record_ref, as of this revision."""
    message = f"{source}\x1f{record_id}".encode("utf-8", "surrogatepass")
    return "R-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:12]


def _safe(expl: Any, key: bytes) -> Any:
    if not isinstance(expl, dict) or not isinstance(expl.get("hits"), list):
        return expl
    hits = []
    for hit in expl["hits"]:
        h = dict(hit)
        if "record_id" in h:
            h["record"] = _ref(key, str(h.get("indicator")), str(h.pop("record_id")))
        hits.append(h)
    out = {**expl, "hits": hits}
    if isinstance(expl.get("lines"), list):
        out["lines"] = [_ID.sub(r"\1********\2", str(line)) for line in expl["lines"]]
    return out


def upgrade() -> None:
    from safetynet.config import get_settings

    op.create_table(
        "reveal_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("command", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(60), nullable=False),
    )
    op.create_index("ix_reveal_log_revealed_at", "reveal_log", ["revealed_at"])
    key = get_settings().record_key
    finding = sa.table(
        "warning_month", sa.column("id", sa.Integer), sa.column("explanation", sa.JSON)
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(finding.c.id, finding.c.explanation)
            .where(finding.c.id > last)
            .order_by(finding.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for fid, explanation in rows:
            safe = _safe(explanation, key)
            if safe != explanation:
                changes.append({"b_id": fid, "explanation": safe})
        if changes:
            conn.execute(finding.update().where(finding.c.id == sa.bindparam("b_id")), changes)
        last = rows[-1][0]


def downgrade() -> None:
    """The reveal log goes; record references stay (they cannot be turned back into IDs)."""
    op.drop_index("ix_reveal_log_revealed_at", table_name="reveal_log")
    op.drop_table("reveal_log")
