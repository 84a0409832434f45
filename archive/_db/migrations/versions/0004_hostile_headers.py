"""hostile headers: header values and non-identity URLs become TEXT; URL variants merged

A server may send an ETag, Last-Modified or Content-Type of any length, and redirect to a
URL of any length; VARCHAR(n) made PostgreSQL refuse the whole record, so the fetch vanished.
SQLite never enforced the lengths, so only PostgreSQL's columns change. documents.url stays
VARCHAR(2048): it is the unique document identity (longer URLs are a recorded error).

Document URLs are canonicalised from now on (archive.text.urls); documents that were
spellings of one URL are merged here (archive._db.urlmerge). The merge is not undone by
the downgrade: the merged archive is valid under the old schema too.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("documents", "etag", 512),
    ("documents", "last_modified", 128),
    ("captures", "final_url", 2048),
    ("captures", "content_type", 255),
    ("fetch_errors", "url", 2048),
)


def upgrade() -> None:
    from archive._db.urlmerge import merge_url_variants

    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in _COLUMNS:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))
    merge_url_variants(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, length in _COLUMNS:
        # Longer values cannot go back into VARCHAR(n): cut them (what the old schema refused).
        op.execute(
            sa.text(
                f"UPDATE {table} SET {column} = left({column}, {length}) "
                f"WHERE length({column}) > {length}"
            )
        )
        op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
