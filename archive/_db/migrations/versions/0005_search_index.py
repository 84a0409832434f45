"""search index: search_index + FTS5 (SQLite) / tsvector + GIN (PostgreSQL); indexes what exists

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.create_table(
        "search_index",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("head_tokens", sa.Text(), nullable=False),
        sa.Column("body_tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_search_index_version_id_versions")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_search_index_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_search_index")),
    )
    op.create_index(op.f("ix_search_index_document_id"), "search_index", ["document_id"])
    if pg:
        from sqlalchemy.dialects.postgresql import TSVECTOR

        op.add_column("search_index", sa.Column("tsv", TSVECTOR(), nullable=False))
        op.execute("CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv)")
        # pg_trgm makes substring search (文号, short words) an index lookup; without the
        # extension it is a scan, still correct.
        available = bind.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ).first()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for col in ("head", "body"):
                op.execute(
                    f"CREATE INDEX ix_search_index_{col}_trgm ON search_index "
                    f"USING gin ({col} gin_trgm_ops)"
                )
    elif bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(head_tokens, body_tokens, "
            "content='search_index', content_rowid='version_id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE search_sub USING fts5(head, body, "
            "content='search_index', content_rowid='version_id', tokenize='trigram')"
        )
    _index_existing(bind)


def _index_existing(bind: sa.Connection) -> None:
    # An archive made before this revision is indexed here, in the migration's transaction.
    from archive._db.search import index_values, insert_rows

    by_doc = sa.text("SELECT document_id, MAX(seq) FROM versions GROUP BY document_id")
    latest: dict[int, int] = dict(bind.execute(by_doc).all())  # type: ignore[arg-type]
    rows = bind.execute(
        sa.text("SELECT id, document_id, seq, title, doc_number, text FROM versions ORDER BY id")
    )
    batch = []
    for vid, doc_id, seq, title, doc_number, body in rows:
        batch.append(index_values(vid, doc_id, title, doc_number, body, seq == latest[doc_id]))
        if len(batch) >= _BATCH:
            insert_rows(bind, batch)
            batch = []
    insert_rows(bind, batch)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_sub")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_index")
