"""service outbox: reports and their deliveries, leases, schedule state

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-02

Change events already in the archive are the past: the outbox baseline records the newest
one so that the first ``serve`` after the upgrade does not re-send years of history.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "outbox_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_reports")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_reports_key")),
    )
    with op.batch_alter_table("outbox_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_reports_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "schedule_state",
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("schedule", sa.String(length=128), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_stats", sa.Text(), nullable=False),
        sa.Column("last_reason", sa.Text(), nullable=True),
        sa.Column("failure_streak", sa.Integer(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_reported", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_schedule_state")),
    )
    op.create_table(
        "service_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_service_meta")),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["outbox_reports.id"],
            name=op.f("fk_outbox_deliveries_report_id_outbox_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_deliveries_key")),
        sa.UniqueConstraint("report_id", "channel", name=op.f("uq_outbox_deliveries_report_id")),
    )
    with op.batch_alter_table("outbox_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_deliveries_channel"), ["channel"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_deliveries_report_id"), ["report_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbox_deliveries_status"), ["status"], unique=False)

    op.create_table(
        "outbox_report_events",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["change_events.id"],
            name=op.f("fk_outbox_report_events_event_id_change_events"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["outbox_reports.id"],
            name=op.f("fk_outbox_report_events_report_id_outbox_reports"),
        ),
        sa.PrimaryKeyConstraint("report_id", "event_id", name=op.f("pk_outbox_report_events")),
        sa.UniqueConstraint("event_id", "mode", name=op.f("uq_outbox_report_events_event_id")),
    )
    with op.batch_alter_table("outbox_report_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_report_events_event_id"), ["event_id"], unique=False
        )

    baseline = op.get_bind().execute(sa.text("SELECT MAX(id) FROM change_events")).scalar()
    meta = sa.table("service_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(meta, [{"key": "outbox_after_event_id", "value": str(baseline or 0)}])


def downgrade() -> None:
    with op.batch_alter_table("outbox_report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_report_events_event_id"))

    op.drop_table("outbox_report_events")
    with op.batch_alter_table("outbox_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_deliveries_report_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_deliveries_channel"))

    op.drop_table("outbox_deliveries")
    op.drop_table("service_meta")
    op.drop_table("schedule_state")
    with op.batch_alter_table("outbox_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_reports_source_id"))

    op.drop_table("outbox_reports")
    op.drop_table("leases")
