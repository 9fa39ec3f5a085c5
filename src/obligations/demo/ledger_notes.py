"""The demo's year in its ledger beyond the tasks: standing evidence for the qualitative items
(titles naming what the catalog expects), the measured figures, and a few narratives and
measures, written through the ledger's and the evidence's services."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.accounts.access import Principal
from obligations.demo.plan import PENDING_DAYS
from obligations.evidence.records import (
    EvidenceInput,
    EvidencePolicy,
    StandingTarget,
    StoredFile,
    add_standing,
    review,
)
from obligations.ledger.figures import figure_specs
from obligations.ledger.notes import set_figures, set_note
from obligations.models import Organization
from obligations.rules.catalog import Catalog
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import EvidenceKind, OrgKind

FULL_UNIT = "U01"  # the demo accounts' unit: every expected piece of evidence on file
SHORT_UNIT = "U05"  # a unit whose subscription rate falls short (未达标)
STANDING_SHARE = 0.7  # other units have this share of the expected evidence on file

# Figures every unit records for the year (as typed), within their thresholds.
_FIGURES = {
    "activists": "12",
    "development-targets": "3",
    "member-training-hours": "36",
    "leader-training-hours": "60",
    "member-subscription-rate": "86",
    "leader-subscription-rate": "100",
}
_SHORT = {"member-subscription-rate": "52"}

_NOTES = {
    "1.4": (
        "本年度指导分团委、学生会开展“青春心向党”主题团日12次，"
        "统战成员参加学院座谈会2次，群团组织工作纳入党总支会议议题。",
        None,
    ),
    "3.6": (
        "建立困难党员台账，春节、“七一”前走访慰问老党员和困难党员9人次，表彰优秀共产党员6名。",
        "下一年度将慰问范围扩大到退休教职工党员，建立结对联系制度。",
    ),
    "4.3": (
        None,
        "个别支部“三会一课”记录上传滞后，已要求各支部书记在活动后5个工作日内上传材料，"
        "党总支每月第一周检查上月记录。",
    ),
    "5.3": (
        "组织学生党员参加暑期“三下乡”社会实践3支队伍，开展志愿服务活动15次，服务时长累计620小时。",
        None,
    ),
}


def record_ledger_notes(
    session: Session,
    policy: EvidencePolicy,
    catalog: Catalog,
    *,
    files: Mapping[EvidenceKind, Sequence[StoredFile]],
    today: date,
    by: Callable[[str], Principal],
    reviewer: Principal,
) -> int:
    """Standing evidence, figures and notes of ``today``'s year for every unit (``by`` gives
    who writes a unit's ledger; ``reviewer`` accepts the standing evidence older than a week);
    the number of standing records made."""
    year, made = today.year, 0
    specs = figure_specs(catalog.indicators)
    for code in _unit_codes(session):
        writer = by(code)
        made += _standing(session, policy, catalog, code, files, today, (writer, reviewer))
        values = {**_FIGURES, **(_SHORT if code == SHORT_UNIT else {})}
        known = {key: value for key, value in values.items() if key in specs}
        if known:
            set_figures(
                session,
                catalog,
                unit_code=code,
                year=year,
                values=known,
                by=writer,
                now=_instant(today - timedelta(days=2)),
            )
    for item_id, (narrative, measures) in _NOTES.items():
        set_note(
            session,
            catalog,
            unit_code=FULL_UNIT,
            item_id=item_id,
            year=year,
            narrative=narrative,
            measures=measures,
            by=by(FULL_UNIT),
            now=_instant(today - timedelta(days=1)),
        )
    return made


def _standing(
    session: Session,
    policy: EvidencePolicy,
    catalog: Catalog,
    code: str,
    files: Mapping[EvidenceKind, Sequence[StoredFile]],
    today: date,
    people: tuple[Principal, Principal],
) -> int:
    rng = random.Random(f"demo-standing:{code}:{today.year}")
    start = date(today.year, 1, 1)
    span = max((today - start).days - 1, 0)
    made = 0
    for indicator in catalog.indicators:
        for name in indicator.expected_evidence:
            if code != FULL_UNIT and rng.random() >= STANDING_SHARE:
                continue
            held = start + timedelta(days=rng.randint(0, span))
            kind = EvidenceKind.PHOTOS if "照片" in name else EvidenceKind.DOCUMENT
            recorded = min(held + timedelta(days=2), today - timedelta(days=1))
            record = add_standing(
                session,
                policy,
                catalog,
                target=StandingTarget(code, indicator.item, today.year),
                data=EvidenceInput(title=f"{today.year}年{name}", held_on=held, kind=kind),
                files=files[kind],
                by=people[0],
                now=_instant(recorded),
            )
            if recorded < today - timedelta(days=PENDING_DAYS):
                review(
                    session,
                    policy,
                    record_id=record.id,
                    accept=True,
                    reason=None,
                    by=people[1],
                    now=_instant(recorded + timedelta(days=3)),
                )
            made += 1
    return made


def _unit_codes(session: Session) -> list[str]:
    units = [kind for kind in OrgKind if kind.is_unit]
    query = select(Organization.code).where(Organization.kind.in_(units))
    return list(session.scalars(query.order_by(Organization.code)))


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(15), LOCAL_TZ).astimezone(UTC)
