"""trigram index without positions: search_sub rebuilt with detail=none (SQLite only)

The substring index only picks candidates: every substring query is checked against the
folded texts anyway (archive._db.search.search). Positions let FTS5 match a phrase of many
trigrams itself, and cost the most of the index's size and insert time: over 1,200 mirror
texts the table took 17.7 MB with positions and 3.4 MB without (dbstat; the texts themselves
9.7 MB), and writing a text with its trigram row 2.0 ms against 1.5 ms. A long substring is
now asked as its trigrams, all required (search.trigram_match).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CREATE = (
    "CREATE VIRTUAL TABLE search_sub USING fts5(head, body, content='search_index', "
    "content_rowid='version_id', tokenize='trigram'{detail})"
)


def _recreate(detail: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS search_sub")
    op.execute(_CREATE.format(detail=detail))
    # External content: the index is rebuilt from search_index, in this transaction.
    op.execute("INSERT INTO search_sub(search_sub) VALUES ('rebuild')")


def upgrade() -> None:
    _recreate(", detail='none'")


def downgrade() -> None:
    _recreate("")
