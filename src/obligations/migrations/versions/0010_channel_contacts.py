"""person contacts: per-channel addresses move off the person row (person.wecom_userid)

A person's WeCom user id becomes a ``person_contact`` row of kind ``wecom_userid``; the channels,
not the person model, know which addresses exist. The downgrade puts the WeCom ids back on the
person row (other kinds have no column there and are dropped).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WECOM = "wecom_userid"


def upgrade() -> None:
    op.create_table(
        "person_contact",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_contact_person_id_person")
        ),
        sa.PrimaryKeyConstraint("person_id", "kind", name=op.f("pk_person_contact")),
    )
    op.execute(
        sa.text(
            "INSERT INTO person_contact (person_id, kind, address) "
            "SELECT id, :kind, wecom_userid FROM person "
            "WHERE wecom_userid IS NOT NULL AND wecom_userid <> ''"
        ).bindparams(kind=_WECOM)
    )
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy the person table, and dropping
    # the old copy fails on the rows that now refer to it (foreign keys are enforced).
    op.drop_column("person", "wecom_userid")


def downgrade() -> None:
    op.add_column("person", sa.Column("wecom_userid", sa.String(length=64), nullable=True))
    op.execute(
        sa.text(
            "UPDATE person SET wecom_userid = (SELECT substr(address, 1, 64) FROM person_contact "
            "WHERE person_contact.person_id = person.id AND person_contact.kind = :kind)"
        ).bindparams(kind=_WECOM)
    )
    op.drop_table("person_contact")
