"""throughput: year-link index, identical re-fetches collapsed, compressed blobs, source leases

documents.masked_title/title_year index last year's candidates (no scan of every title);
documents.body_sha256 lets a crawl skip a byte-identical page; captures.last_seen_at lets
identical re-fetches extend one row; blobs.compression marks zlib bodies; source_leases
keeps one crawler per site across workers.

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from archive.text.lineage import mask_years

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MASKED_MAX = 512


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("masked_title", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("title_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_documents_source_masked", ["source_id", "masked_title"], unique=False
        )
        batch_op.create_index("ix_documents_source_year", ["source_id", "title_year"], unique=False)
    with op.batch_alter_table("blobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compression", sa.String(length=16), nullable=True))
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "source_leases",
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_source_leases")),
    )

    conn = op.get_bind()
    docs = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        sa.column("title", sa.Text),
        sa.column("parent_id", sa.Integer),
        sa.column("masked_title", sa.String),
        sa.column("title_year", sa.Integer),
    )
    rows = conn.execute(sa.select(docs.c.id, docs.c.title).where(docs.c.parent_id.is_(None)))
    for doc_id, title in rows.all():
        masked, year = mask_years(title or "")
        conn.execute(
            sa.update(docs)
            .where(docs.c.id == doc_id)
            .values(masked_title=masked[:MASKED_MAX], title_year=year)
        )
    conn.execute(
        sa.text(
            "UPDATE documents SET body_sha256 = (SELECT c.body_sha256 FROM captures c "
            "WHERE c.document_id = documents.id AND c.kind = 'content' "
            "ORDER BY c.id DESC LIMIT 1)"
        )
    )


def downgrade() -> None:
    op.drop_table("source_leases")
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("blobs", schema=None) as batch_op:
        batch_op.drop_column("compression")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_source_year")
        batch_op.drop_index("ix_documents_source_masked")
        batch_op.drop_column("body_sha256")
        batch_op.drop_column("title_year")
        batch_op.drop_column("masked_title")
