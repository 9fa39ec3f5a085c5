"""The college's academic calendar (校历): academic years, semesters and vacations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obligations.models.base import Base, intpk


class AcademicYear(Base):
    __tablename__ = "academic_year"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(16), unique=True)  # "2026-2027"
    start_on: Mapped[date]
    end_on: Mapped[date]

    semesters: Mapped[list[Semester]] = relationship(
        back_populates="academic_year", cascade="all, delete-orphan", order_by="Semester.number"
    )
    vacations: Mapped[list[Vacation]] = relationship(
        back_populates="academic_year", cascade="all, delete-orphan", order_by="Vacation.start_on"
    )


class Semester(Base):
    __tablename__ = "semester"
    __table_args__ = (UniqueConstraint("academic_year_id", "number"),)

    id: Mapped[intpk]
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    number: Mapped[int]  # 1 (autumn) or 2 (spring)
    start_on: Mapped[date]
    end_on: Mapped[date]

    academic_year: Mapped[AcademicYear] = relationship(back_populates="semesters")


class Vacation(Base):
    __tablename__ = "vacation"

    id: Mapped[intpk]
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    name: Mapped[str] = mapped_column(String(64))
    start_on: Mapped[date]
    end_on: Mapped[date]

    academic_year: Mapped[AcademicYear] = relationship(back_populates="vacations")
