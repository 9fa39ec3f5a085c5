"""The 落实情况 and gaps of one periodic rule over a ledger period, from its tasks' facts.

Counts roll up over the unit's branches (三会一课, 主题党日) and over people (lectures,
training). "应开展" is what the non-waived tasks ask for (their minimum counts); "实际开展" is the
activities recorded for them and held inside the ledger's period; a task not yet due, or still
running at the period's end (进行中), is noted, not held against the unit. Returned material is
reported as returned with its reason, pending material as 待审核, an activity recorded without
a file (where the rule expects one) as 未附佐证材料: each leaves the rule incomplete (待补充),
not failed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from obligations.ledger.facts import RecordFact, RuleFacts, TaskFact, Window
from obligations.ledger.gap_summary import Shortfall, missed_summary, rule_gap_brief
from obligations.ledger.reported import Reported, reported_tasks
from obligations.ledger.text import (
    Part,
    cited,
    dates_text,
    day_text,
    joined,
    months_text,
    topic_of,
    topics_text,
)
from obligations.rules.periods import period_text
from obligations.rules.schema import Scope
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import ReviewState

UNFILED = "未附佐证材料，待补交"  # an activity recorded without the file its rule requires
MAX_DATED = 4  # past this many activities, a rule's line gives the months, not the dates
TOPICS_SHOWN, TOPICS_BRIEF = 3, 2  # topics quoted in a rule's line, in its brief form
Catalogue = Mapping[int, Sequence[int]]  # record id -> 序号 of its files in the catalogue
_MISSED = (TaskStatus.OVERDUE,)
_NOT_YET_DUE = (TaskStatus.UPCOMING, TaskStatus.OPEN, TaskStatus.DUE_SOON)
_FOREVER = Window(date.min, date.max)


def compose_rule(
    facts: RuleFacts,
    *,
    plain_year: int | None,
    window: Window | None = None,
    catalogue: Catalogue | None = None,
) -> Part:
    """One line for 落实情况 and the gap lines of one rule over ``window`` (default: every
    record counts, dates written without ``plain_year``). The activities held are cited by
    their files' 序号 in ``catalogue`` (目录第6—38项); without one, nothing is cited. The
    unit's own meetings and studies say what they were about (the topics in their titles)
    and how many took part."""
    window = window or Window(_FOREVER.start, _FOREVER.end, plain_year)
    reported = reported_tasks(facts.tasks, window)
    if not reported:
        return Part(lines=(f"{facts.title}：本期无到期任务",))
    running = [r for r in reported if r.running]
    settled = [r for r in reported if not r.running]
    tasks = [r.task for r in settled]
    records = [rec for r in settled for rec in r.held]
    notes = _notes(tasks, plain_year) + _running(facts, running, plain_year)
    numbers = [] if facts.see_item else _numbers(catalogue, [x for r in reported for x in r.held])
    citation = f"（{cited(numbers)}）" if numbers else ""
    review = _review_note(reported)
    line = f"{facts.title}：{_counts(facts, settled, plain_year)}" if settled else ""
    brief = _brief(facts, settled, plain_year) + review if settled else ""
    terse = _brief(facts, settled, plain_year, topics=0) if settled else ""
    if settled:
        line += review + citation
    if notes:
        line += f"；{'；'.join(notes)}" if line else f"{facts.title}：{'；'.join(notes)}"
        if not settled:
            brief = line + review
            terse = line
            line += review + citation
    missing = _missing_evidence(facts, reported, plain_year)
    gaps = _missed(facts, settled, plain_year) + missing + _late(facts, tasks, plain_year)
    failed = any(r.task.status in _MISSED and not r.awaiting for r in settled)
    shown = len(records) + sum(len(r.held) for r in running)
    gap_brief, gap_terse = (
        _gap_brief(facts, reported, plain_year, months=m) for m in (True, False)
    )
    late = sum(1 for t in tasks if t.status is TaskStatus.DONE_LATE)
    pending = _pending(reported)
    waiting = [t.due_on for t in tasks if t.status in _NOT_YET_DUE]
    until = max(waiting) if waiting else None
    if facts.see_item:  # said once, under the rule's own item
        said = _brief(facts, settled, plain_year) if settled else facts.title
        line = brief = f"{said}（见第{facts.see_item}项）"
        terse = f"{facts.title}见第{facts.see_item}项"
        gaps = [f"{facts.title}：见第{facts.see_item}项"] if gaps else []
        gap_brief = gap_terse = gaps[0] if gaps else ""
        late = pending = 0  # counted under the rule's own item
        until = None
    return Part(
        lines=(line,),
        brief=brief,
        terse=terse,
        gaps=tuple(gaps),
        failed=failed,
        evidence=shown,
        incomplete=bool(missing),
        cited=tuple(numbers),
        gap_brief=gap_brief,
        gap_terse=gap_terse,
        late=late,
        pending=pending,
        until=until,
    )


def _pending(reported: Sequence[Reported]) -> int:
    return sum(1 for r in reported for rec in r.held if rec.review is ReviewState.PENDING)


def _gap_brief(
    facts: RuleFacts, reported: Sequence[Reported], plain_year: int | None, *, months: bool
) -> str:
    """The rule's gaps as counts naming the worst offenders (:mod:`.gap_summary`); late
    registrations and pending reviews are left to the item, which counts them once."""
    missed = [r for r in reported if r.task.status in _MISSED and not r.awaiting]
    by_owner: dict[str, list[Reported]] = defaultdict(list)
    for r in missed:
        by_owner[r.task.owner].append(r)
    shortfalls = [
        Shortfall(
            owner,
            _labels([r.task for r in owned], plain_year, owners=False),
            sum(max(r.task.min_count - len(r.held), 0) for r in owned),
        )
        for owner, owned in by_owner.items()
    ]
    said = missed_summary(
        shortfalls,
        verb=_verb(facts),
        unit_word="人次" if facts.scope is Scope.PERSON else "次",
        person=facts.scope is Scope.PERSON,
        months=months,
    )
    returned = sum(len(r.returned) for r in reported)
    unfiled = sum(len(r.unfiled) for r in reported)
    return rule_gap_brief(facts.title, said, returned=returned, unfiled=unfiled)


def _numbers(catalogue: Catalogue | None, held: Sequence[RecordFact]) -> list[int]:
    if catalogue is None:
        return []
    return sorted({n for record in held for n in catalogue.get(record.record_id, ())})


def _own(facts: RuleFacts, settled: Sequence[Reported]) -> bool:
    """The unit's own activity (not its branches' or its people's), such as its central-group
    study or, in a direct branch, its own 支部委员会会议."""
    return facts.scope is not Scope.PERSON and all(not r.task.owner for r in settled)


def _counts(facts: RuleFacts, settled: Sequence[Reported], plain_year: int | None) -> str:
    """应开展12次，实际开展11次（3月未开展），主题包括……，平均参加9人: the counts, the
    dates (or months, per-branch counts, the months missed) and, for the unit's own
    meetings, the topics and the attendance recorded."""
    owed = sum(r.task.min_count for r in settled if r.task.status is not TaskStatus.WAIVED)
    held = [x for r in settled for x in r.held]
    verb, unit_word = _verb(facts), ("人次" if facts.scope is Scope.PERSON else "次")
    text = f"应{verb}{owed}{unit_word}，实际{verb}{len(held)}{unit_word}"
    detail = _detail(facts, settled, plain_year)
    if detail:
        text += f"（{detail}）"
    return text + _about(facts, settled, TOPICS_SHOWN)


def _brief(
    facts: RuleFacts,
    settled: Sequence[Reported],
    plain_year: int | None,
    *,
    topics: int = TOPICS_BRIEF,
) -> str:
    """The rule in a few words for a crowded cell: 所属2个党支部支部委员会会议应开展24次、
    实际22次; the unit's own meetings keep the months missed and, unless ``topics`` is 0,
    that many topics and the attendance."""
    branches = len({r.task.owner for r in settled})
    whose = f"所属{branches}个党支部" if facts.scope is Scope.BRANCH and branches > 1 else ""
    text = f"{whose}{facts.title}{_tally(facts, settled, plain_year, short=not topics)}"
    if not _own(facts, settled):
        return text
    missed = _missed_months(facts, settled, plain_year)
    text += f"（{missed}）" if missed else ""
    return (text + _about(facts, settled, topics)) if topics else text


def _tally(
    facts: RuleFacts, settled: Sequence[Reported], plain_year: int | None, *, short: bool = False
) -> str:
    """应开展60次、实际48次, with the part not yet due said as such (the year semantics: a
    task not yet due is never a gap): 应开展60次、实际48次（5次未到期，12月31日截止）, or
    5次均未到期（12月31日截止） when nothing is due and nothing held yet; ``short``: 应开60次、
    实开48次 over the tasks due only (the item says once what is not yet due)."""
    live = [r for r in settled if r.task.status is not TaskStatus.WAIVED]
    owed = sum(r.task.min_count for r in live)
    held = sum(len(r.held) for r in settled)
    unit_word = "人次" if facts.scope is Scope.PERSON else "次"
    verb = _verb(facts)
    waiting = [r for r in live if r.task.status in _NOT_YET_DUE]
    if short:  # the tasks due only; the item says once that the others are not counted
        due = [r for r in live if r not in waiting]
        if not due:
            done_early = f"，已{verb}{held}{unit_word}" if held else ""
            return f"{owed}{unit_word}均未到期{done_early}"
        done = sum(len(r.held) for r in due)
        owed_due = sum(r.task.min_count for r in due)
        if done >= owed_due > 1:
            return f"{owed_due}{unit_word}均已{verb}"
        verb = "开" if verb == "开展" else ""
        return f"应{verb}{owed_due}{unit_word}、实{verb}{done}{unit_word}"
    text = f"应{verb}{owed}{unit_word}、实际{held}{unit_word}"
    rest = sum(max(r.task.min_count - len(r.held), 0) for r in waiting)
    if not rest:
        return text
    until = day_text(max(r.task.due_on for r in waiting), plain_year)
    if rest == owed and not held:
        return f"{owed}{unit_word}均未到期（{until}截止）"
    return f"{text}（{rest}{unit_word}未到期，{until}截止）"


def _about(facts: RuleFacts, settled: Sequence[Reported], topics: int) -> str:
    """，主题包括X、Y等，平均参加9人: for the unit's own activities, the topics of its
    meetings (from the recorded titles) and the mean of the participant counts recorded."""
    if not _own(facts, settled):
        return ""
    held = sorted((x for r in settled for x in r.held), key=lambda x: (x.held_on, x.record_id))
    text = (
        topics_text([topic_of(x.title, facts.title) for x in held], topics) if facts.meeting else ""
    )
    counts = [x.participants for x in held if x.participants]
    if counts:
        mean = (2 * sum(counts) + len(counts)) // (2 * len(counts))  # rounded half up
        text += f"，平均参加{mean}人" if len(counts) > 1 else f"，参加{mean}人"
    return text


def _running(facts: RuleFacts, running: Sequence[Reported], plain_year: int | None) -> list[str]:
    """In progress at the window's end: 2026—2027学年第一学期进行中（至2027年1月22日）; a
    term running then is the current one (本届任期, its start is in the term check's line)."""
    words = []
    for r in running:
        owner = r.task.owner
        done = f"，已{_verb(facts)}{len(r.held)}次" if r.held else ""
        term = r.task.period_key.startswith("T")
        when = "本届任期" if term else period_text(r.task.period_key, plain_year)
        words.append(f"{owner}{when}进行中（至{day_text(r.task.ends_on, plain_year)}{done}）")
    return ["、".join(words)] if words else []


def _review_note(reported: Sequence[Reported]) -> str:
    pending = _pending(reported)
    return f"，其中{pending}次材料待审核" if pending else ""


def _missing_evidence(
    facts: RuleFacts, reported: Sequence[Reported], plain_year: int | None
) -> list[str]:
    """What keeps the rule from being proven: returned material (with the reason), activities
    recorded without a file and material not yet reviewed."""
    gaps = []
    for r in reported:
        when = f"{r.task.owner}{period_text(r.task.period_key, plain_year)}"
        for rec in r.returned:
            reason = f"（原因：{rec.reason}）" if rec.reason else ""
            gaps.append(f"{when}材料已退回{reason}，待重新提交")
    unfiled = [r.task for r in reported if r.unfiled]
    if unfiled:
        gaps.append(f"{_labels(unfiled, plain_year)}{UNFILED}")
    pending = [r for r in reported if any(x.review is ReviewState.PENDING for x in r.held)]
    if pending:
        gaps.append(f"{_labels([r.task for r in pending], plain_year)}材料待审核")
    return [f"{facts.title}：{'；'.join(gaps)}"] if gaps else []


def _detail(facts: RuleFacts, reported: Sequence[Reported], plain_year: int | None) -> str:
    """Dates of the activities; per branch counts when rolled up over several branches; for
    many activities of the unit's own, the months missed (3月未开展) or else the months."""
    scope = facts.scope
    if scope is Scope.PERSON:  # people on the same dates named together: 张三、李四7月14日
        people: dict[str, list[str]] = defaultdict(list)
        for r in reported:
            if r.held and r.task.person:
                when = dates_text((x.held_on for x in r.held), plain_year)
                people[when].append(r.task.person)
        return "，".join(
            f"{'、'.join(dict.fromkeys(names))}{when}" for when, names in people.items()
        )
    branches: dict[str, int] = defaultdict(int)
    for r in reported:
        branches[r.task.owner] += len(r.held)
    if scope is Scope.BRANCH and len(branches) > 1:
        return joined([f"{name}{count}次" for name, count in branches.items()])
    days = [x.held_on for r in reported for x in r.held]
    if len(days) > MAX_DATED:
        return _missed_months(facts, reported, plain_year) or months_text(days, plain_year)
    return dates_text(days, plain_year)


def _missed_months(facts: RuleFacts, reported: Sequence[Reported], plain_year: int | None) -> str:
    """3月、5月未开展: the unit's own periods missed with nothing held (empty if none)."""
    missed = [
        r.task
        for r in reported
        if r.task.status in _MISSED and not r.held and not r.awaiting and not r.task.owner
    ]
    if not missed:
        return ""
    return f"{_labels(missed, plain_year, owners=False)}未{_verb(facts)}"


def _notes(tasks: Sequence[TaskFact], plain_year: int | None) -> list[str]:
    waived = [t for t in tasks if t.status is TaskStatus.WAIVED]
    pending = [t for t in tasks if t.status in _NOT_YET_DUE]
    notes = []
    if waived:
        reasons = {t.waived_reason for t in waived if t.waived_reason}
        why = f"（{'；'.join(sorted(reasons))}）" if reasons else ""
        notes.append(f"{_labels(waived, plain_year)}已豁免{why}")
    if pending:
        notes.append(f"{_labels(pending, plain_year)}尚未到期")
    return notes


def _missed(facts: RuleFacts, reported: Sequence[Reported], plain_year: int | None) -> list[str]:
    """Tasks missed (none returned: returned material is a gap of its own)."""
    held = {r.task.task_id: r.held for r in reported}
    missed = [r.task for r in reported if r.task.status in _MISSED and not r.awaiting]
    if not missed:
        return []
    parts = []
    for owner, owned in _by_owner(missed).items():
        empty = [t for t in owned if not held[t.task_id]]
        short = [t for t in owned if held[t.task_id]]
        if empty:
            parts.append(f"{owner}{_labels(empty, plain_year, owners=False)}未{_verb(facts)}")
        parts.extend(
            f"{owner}{period_text(t.period_key, plain_year)}仅{_verb(facts)}"
            f"{len(held[t.task_id])}次（应{t.min_count}次）"
            for t in short
        )
    return [f"{facts.title}：{'，'.join(parts)}"]


def _late(facts: RuleFacts, tasks: Sequence[TaskFact], plain_year: int | None) -> list[str]:
    late = [t for t in tasks if t.status is TaskStatus.DONE_LATE]
    if not late:
        return []
    parts = []
    for t in late:
        recorded = sorted(r.recorded_on for r in t.records if t.counts(r))[t.min_count - 1]
        parts.append(
            f"{t.owner}{period_text(t.period_key, plain_year)}"
            f"（截止{day_text(t.due_on, plain_year)}，"
            f"{day_text(recorded, plain_year)}登记）"
        )
    return [f"{facts.title}：材料逾期登记{len(late)}次：{'、'.join(parts)}"]


def _verb(facts: RuleFacts) -> str:
    return "完成" if facts.scope is Scope.PERSON else "开展"


def _labels(tasks: Sequence[TaskFact], plain_year: int | None, *, owners: bool = True) -> str:
    """Periods in words, each once, with the people or branches owing it named together:
    3月、4月; 张书记、李纪检2026年度 (``owners=False`` when the caller names the owner)."""
    by_period: dict[str, list[str]] = defaultdict(list)
    for task in tasks:
        by_period[task.period_key].append(task.owner if owners else "")
    parts = [
        "、".join(dict.fromkeys(name for name in names if name)) + period_text(key, plain_year)
        for key, names in by_period.items()
    ]
    named = any(name for names in by_period.values() for name in names)
    return ("，" if owners and len(parts) > 1 and named else "、").join(parts)


def _by_owner(tasks: Sequence[TaskFact]) -> dict[str, list[TaskFact]]:
    grouped: dict[str, list[TaskFact]] = defaultdict(list)
    for task in tasks:
        grouped[task.owner].append(task)
    return dict(grouped)
