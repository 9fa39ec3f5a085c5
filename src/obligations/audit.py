"""The append-only audit log: every change to evidence, reviews, waivers and tasks.

Entries are written in the same transaction as the change they describe, so a change and its
entry are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from obligations.lookup import organization_id
from obligations.models import AuditEntry, Organization
from obligations.vocabulary import AUDIT_ENTITY_LABELS


class Action:
    """The actions the log knows (``entity.verb``)."""

    EVIDENCE_ADD = "evidence.add"
    EVIDENCE_WITHDRAW = "evidence.withdraw"
    EVIDENCE_REVIEW = "evidence.review"
    TASK_WAIVE = "task.waive"
    TASK_UNWAIVE = "task.unwaive"
    TASKS_GENERATE = "tasks.generate"
    TASK_UPDATE = "task.update"
    TASK_RETIRE = "task.retire"
    TASK_RESTORE = "task.restore"
    LEDGER_NOTES = "ledger.notes"
    LEDGER_FIGURES = "ledger.figures"


ACTION_LABELS = {
    Action.EVIDENCE_ADD: "登记佐证材料",
    Action.EVIDENCE_WITHDRAW: "撤回佐证材料",
    Action.EVIDENCE_REVIEW: "审核佐证材料",
    Action.TASK_WAIVE: "豁免任务",
    Action.TASK_UNWAIVE: "撤销豁免",
    Action.TASKS_GENERATE: "生成任务",
    Action.TASK_UPDATE: "任务日期或归属变更",
    Action.TASK_RETIRE: "任务改为不再要求",
    Action.TASK_RESTORE: "恢复任务",
    Action.LEDGER_NOTES: "编辑台账说明与措施",
    Action.LEDGER_FIGURES: "填报台账数据",
}


def plain(value: Any) -> Any:
    """A JSON-ready copy of a value: dates as ISO text, enums as their value."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(
    session: Session,
    *,
    now: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    unit_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            unit_id=unit_id,
            before=plain(before) if before is not None else None,
            after=plain(after) if after is not None else None,
        )
    )


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    unit: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def subject(self) -> str:
        """What the entry is about, in words: ``佐证材料（编号 3）``, or ``任务`` for a run."""
        label = AUDIT_ENTITY_LABELS.get(self.entity, self.entity)
        return label if self.entity_id is None else f"{label}（编号 {self.entity_id}）"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "action_label": self.action_label,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "unit": self.unit,
            "before": self.before,
            "after": self.after,
        }


def list_audit(
    session: Session,
    *,
    unit_code: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditView]:
    """Entries oldest first, for one unit and from an instant on when asked."""
    unit = aliased(Organization)
    query = (
        select(AuditEntry, unit.code)
        .outerjoin(unit, AuditEntry.unit_id == unit.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    if unit_code is not None:
        query = query.where(AuditEntry.unit_id == organization_id(session, unit_code))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditView(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            unit=code,
            before=entry.before,
            after=entry.after,
        )
        for entry, code in session.execute(query)
    ]
