"""Evidence files found damaged while a backup copies them, and the records they belong to.

A backup hashes every stored object as it copies it and compares the hash with the object's
name (its SHA-256). An object that is missing or whose content changed on disk (a failing disk,
a hand edit) cannot be restored as it was recorded: the backup names the records that use it,
and either stops or, when asked to, records the object as damaged in its manifest so that a
restore brings back everything else and lists these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, select

from obligations.db import session_factory
from obligations.errors import ServiceError
from obligations.models import EvidenceFile, EvidenceRecord, Organization, Task

MISSING = "missing"
CORRUPT = "corrupt"
PROBLEM_LABELS = {MISSING: "文件缺失", CORRUPT: "内容与哈希不符（已损坏）"}


@dataclass(frozen=True)
class FileUse:
    """One evidence file row pointing to a damaged object."""

    record_id: int
    record_title: str
    unit_code: str
    task: str | None  # "任务 12（central-group-study 2026-03）"; None for standing evidence
    file_name: str


@dataclass(frozen=True)
class DamagedObject:
    sha256: str
    problem: str  # MISSING or CORRUPT
    uses: tuple[FileUse, ...]

    def describe(self) -> list[str]:
        """Lines for a person: the problem, then each record and file that uses the object."""
        head = f"{PROBLEM_LABELS.get(self.problem, self.problem)}：{self.sha256[:12]}…"
        return [head] + [
            f"  材料 {u.record_id}「{u.record_title}」（{u.unit_code}，"
            f"{u.task or '常备材料'}）的文件 {u.file_name}"
            for u in self.uses
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "problem": self.problem,
            "uses": [asdict(u) for u in self.uses],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DamagedObject:
        """The manifest's entry back; ``KeyError``/``TypeError`` for a malformed one."""
        uses = tuple(FileUse(**use) for use in data.get("uses", []))
        return cls(str(data["sha256"]), str(data["problem"]), uses)


class BackupDamaged(ServiceError):
    """Stored evidence files are missing or corrupt: the backup was not written."""

    def __init__(self, damaged: list[DamagedObject]) -> None:
        self.damaged = damaged
        super().__init__(
            f"有 {len(damaged)} 个佐证材料文件无法原样备份，未写入备份文件：\n"
            + "\n".join(damage_lines(damaged))
            + "\n请从其他副本找回这些文件（obligations verify 可再次检查），"
            "或加 --allow-damaged 备份其余全部内容并在备份清单中记下这些文件"
        )


def describe_damage(engine: Engine, problems: dict[str, str]) -> list[DamagedObject]:
    """The records and files behind each damaged object (``{sha256: MISSING or CORRUPT}``)."""
    uses: dict[str, list[FileUse]] = {sha256: [] for sha256 in problems}
    query = (
        select(EvidenceFile, EvidenceRecord, Organization.code, Task)
        .join(EvidenceRecord, EvidenceFile.record_id == EvidenceRecord.id)
        .join(Organization, EvidenceRecord.unit_id == Organization.id)
        .outerjoin(Task, EvidenceRecord.task_id == Task.id)
        .where(EvidenceFile.sha256.in_(list(problems)))
        .order_by(EvidenceRecord.id, EvidenceFile.position)
    )
    with session_factory(engine)() as session:
        for file, record, unit_code, task in session.execute(query):
            label = f"任务 {task.id}（{task.rule_id} {task.period_key}）" if task else None
            uses[file.sha256].append(
                FileUse(record.id, record.title, unit_code, label, file.original_name)
            )
    return [DamagedObject(sha256, problems[sha256], tuple(uses[sha256])) for sha256 in problems]


def damage_lines(damaged: Iterable[DamagedObject]) -> list[str]:
    return [line for item in damaged for line in item.describe()]
