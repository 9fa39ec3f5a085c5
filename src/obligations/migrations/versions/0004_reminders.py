"""reminder cursors, items, delivery attempts, channel health and per-organization channels

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ITEM_STATES = ("PENDING", "CLAIMED", "SENT", "FAILED", "CANCELLED")
_RESULTS = ("SENDING", "SENT", "TRANSIENT", "PERMANENT")


def upgrade() -> None:
    op.create_table(
        "reminder_cursor",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_reminder_cursor_task_id_task")
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_reminder_cursor")),
    )
    op.create_index(op.f("ix_reminder_cursor_next_on"), "reminder_cursor", ["next_on"])

    op.create_table(
        "reminder_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("recipient_key", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("no_recipient", sa.Boolean(), nullable=False),
        sa.Column("planned_for", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*_ITEM_STATES, name="itemstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_reminder_item_task_id_task")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_reminder_item_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_item")),
        sa.UniqueConstraint(
            "task_id", "stage", "recipient_key", "channel", name="uq_reminder_item"
        ),
    )
    op.create_index(op.f("ix_reminder_item_task_id"), "reminder_item", ["task_id"])
    op.create_index("ix_reminder_item_state_next", "reminder_item", ["state", "next_attempt_at"])
    op.create_index("ix_reminder_item_state_lease", "reminder_item", ["state", "lease_until"])
    op.create_index(
        "ix_reminder_item_group", "reminder_item", ["recipient_key", "channel", "state"]
    )
    op.create_index("ix_reminder_item_claim", "reminder_item", ["claim_token"])

    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("recipient_key", sa.String(length=40), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("task_ids", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "result",
            sa.Enum(*_RESULTS, name="attemptresult", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    op.create_index(op.f("ix_delivery_attempt_claim_token"), "delivery_attempt", ["claim_token"])
    op.create_index("ix_delivery_attempt_started", "delivery_attempt", ["started_at"])

    op.create_table(
        "channel_health",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("broken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("broken_reason", sa.Text(), nullable=True),
        sa.Column("config_digest", sa.String(length=64), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_channel_health")),
    )

    op.create_table(
        "organization_channel",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_organization_channel_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "channel", name=op.f("pk_organization_channel")),
    )


def downgrade() -> None:
    op.drop_table("organization_channel")
    op.drop_table("channel_health")
    op.drop_index("ix_delivery_attempt_started", table_name="delivery_attempt")
    op.drop_index(op.f("ix_delivery_attempt_claim_token"), table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    for name in (
        "ix_reminder_item_claim",
        "ix_reminder_item_group",
        "ix_reminder_item_state_lease",
        "ix_reminder_item_state_next",
    ):
        op.drop_index(name, table_name="reminder_item")
    op.drop_index(op.f("ix_reminder_item_task_id"), table_name="reminder_item")
    op.drop_table("reminder_item")
    op.drop_index(op.f("ix_reminder_cursor_next_on"), table_name="reminder_cursor")
    op.drop_table("reminder_cursor")
