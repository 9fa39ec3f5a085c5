"""A second record of the same files on one task is refused (a double submit, a re-sent form).

Pure query plus wording; :func:`obligations.evidence.records.add_to_task`, which every door
(CLI, web form, JSON API) records through, calls it before inserting. Bulk intake refuses the
same content anywhere (:mod:`obligations.evidence.bulk.service`); here the same content on a
*different* task is allowed: one file may well be the evidence of two obligations.
:func:`lock_task` makes two uploads to one task take turns, so the second sees the first.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from obligations.errors import AlreadyRecorded
from obligations.models import EvidenceFile, EvidenceRecord, Task
from obligations.timeutil import LOCAL_TZ


def lock_task(session: Session, task: Task) -> None:
    """Lock the task before inserting its record: the insert's foreign key would otherwise
    take a share lock that two concurrent uploads to one task both hold while each waits for
    the other's to lock the task (``refresh_done_on``), a deadlock on PostgreSQL. On SQLite a
    write that changes nothing takes the write lock: a double submit's second upload waits."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Task).where(Task.id == task.id).values(min_count=Task.min_count))
    else:
        session.execute(select(Task.id).where(Task.id == task.id).with_for_update())


def refuse_same_files(session: Session, task_id: int, sha256s: Collection[str]) -> None:
    """Raise ``AlreadyRecorded`` when every one of ``sha256s`` (hex SHA-256 of the new record's
    files) is already a file of a live (not withdrawn) record of task ``task_id``; the message
    names the earliest such record and when it was recorded. No files: nothing to compare."""
    wanted = set(sha256s)
    if not wanted:
        return
    rows = session.execute(
        select(EvidenceFile.sha256, EvidenceRecord.title, EvidenceRecord.recorded_at)
        .join(EvidenceRecord, EvidenceFile.record_id == EvidenceRecord.id)
        .where(
            EvidenceRecord.task_id == task_id,
            EvidenceRecord.withdrawn_at.is_(None),
            EvidenceFile.sha256.in_(wanted),
        )
        .order_by(EvidenceRecord.recorded_at, EvidenceRecord.id)
    ).all()
    if {row.sha256 for row in rows} != wanted:
        return
    first = rows[0]
    when = first.recorded_at.astimezone(LOCAL_TZ)
    raise AlreadyRecorded(
        f"该任务已登记过相同的文件（材料“{first.title}”，"
        f"登记于{when.year}年{when.month}月{when.day}日 {when:%H:%M}），未重复登记"
    )
