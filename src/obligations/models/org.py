"""Organizations (college -> unit -> branch), people and the roles they hold over time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obligations.models.base import Base, intpk, str_code, str_name
from obligations.vocabulary import OrgKind, Role


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[intpk]
    code: Mapped[str_code] = mapped_column(unique=True)
    name: Mapped[str_name]
    kind: Mapped[OrgKind] = mapped_column(Enum(OrgKind, native_enum=False, length=32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    member_count: Mapped[int | None]
    term_start: Mapped[date | None]
    term_years: Mapped[int | None]
    active_from: Mapped[date | None]
    active_until: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    parent: Mapped[Organization | None] = relationship(
        remote_side="Organization.id", back_populates="children"
    )
    children: Mapped[list[Organization]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"Organization({self.code!r}, {self.kind.value})"


class Person(Base):
    __tablename__ = "person"

    id: Mapped[intpk]
    code: Mapped[str_code] = mapped_column(unique=True)
    name: Mapped[str_name]
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    contacts: Mapped[list[PersonContact]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonContact.kind"
    )

    def __repr__(self) -> str:
        return f"Person({self.code!r})"


class PersonContact(Base):
    """A person's address on one channel beyond email and mobile, e.g. a WeCom user id.

    ``kind`` is a :class:`obligations.channels.ContactKind` value (stored as text: the channels
    own the list); one address per person and kind.
    """

    __tablename__ = "person_contact"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(254))

    person: Mapped[Person] = relationship(back_populates="contacts")


class RoleAssignment(Base):
    """A person holds a role in an organization from ``start_on`` to ``end_on`` (inclusive)."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("person_id", "organization_id", "role", "start_on"),
        Index("ix_role_assignment_org_role", "organization_id", "role"),
    )

    id: Mapped[intpk]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32))
    start_on: Mapped[date]
    end_on: Mapped[date | None]

    person: Mapped[Person] = relationship()
    organization: Mapped[Organization] = relationship()

    def holds_on(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)
