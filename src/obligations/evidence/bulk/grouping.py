"""One activity, one record (pure): the files that prove the same task (or support the same
standing ledger item) with the same activity date are the minutes, the sign-in sheet and the
photos of one meeting, and become one record holding all of them. A rule asking for two
meetings is then met by two meetings, not by two files of one.

Grouping is decided by the values a person confirmed (task or ledger item, and date): a file
whose task or date was corrected leaves its group on its own. The record takes its title and
kind from its *lead* file (minutes before documents, sign-in sheets, other files and photos;
then the most confident; then the first), and its participants from the first file in that
order that gave a count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from obligations.evidence.bulk.matching import Proposal
from obligations.vocabulary import EvidenceKind

_KIND_ORDER = [
    EvidenceKind.MINUTES,
    EvidenceKind.DOCUMENT,
    EvidenceKind.SIGN_IN,
    EvidenceKind.OTHER,
    EvidenceKind.PHOTOS,
]

ActivityKey = tuple[str, date]


def activity_key(proposal: Proposal) -> ActivityKey | None:
    """("task:12", date) or ("item:A3", date); None for a file that would not be recorded
    (a duplicate, no date, no task or item)."""
    if proposal.duplicate or proposal.held_on is None:
        return None
    if proposal.task_id is not None:
        return f"task:{proposal.task_id}", proposal.held_on
    if proposal.ledger_item is not None:
        return f"item:{proposal.ledger_item}", proposal.held_on
    return None


def activities(rows: Sequence[Proposal]) -> list[list[Proposal]]:
    """The rows as the records they make, in the order of each record's first file; a row
    without a key is a record (or a refusal) of its own."""
    groups: dict[ActivityKey, list[Proposal]] = {}
    out: list[list[Proposal]] = []
    for row in rows:
        key = activity_key(row)
        if key is None:
            out.append([row])
        elif key in groups:
            groups[key].append(row)
        else:
            groups[key] = [row]
            out.append(groups[key])
    return out


def number_groups(proposals: Sequence[Proposal]) -> None:
    """Set each proposal's ``group`` to the number (from 1) of the record it would join, in
    the order of each record's first file; None for one that would not be recorded."""
    number = 0
    for members in activities(proposals):
        if activity_key(members[0]) is None:
            members[0].group = None
            continue
        number += 1
        for member in members:
            member.group = number


def in_record_order(proposals: Sequence[Proposal]) -> list[Proposal]:
    """The proposals with the files of each record together, by group number (each group in
    the order its files came), then those that would not be recorded; after
    :func:`number_groups`."""
    ordered = sorted(enumerate(proposals), key=lambda pair: (
        pair[1].group is None, pair[1].group or 0, pair[0]))  # fmt: skip
    return [p for _, p in ordered]


def group_sizes(proposals: Sequence[Proposal]) -> dict[int, int]:
    """How many files each numbered group holds."""
    sizes: dict[int, int] = {}
    for p in proposals:
        if p.group is not None:
            sizes[p.group] = sizes.get(p.group, 0) + 1
    return sizes


def ranked(members: Sequence[Proposal]) -> list[Proposal]:
    """The files of a record in lead order (see the module's docstring)."""
    order = sorted(
        enumerate(members),
        key=lambda pair: (_KIND_ORDER.index(pair[1].kind), -pair[1].confidence, pair[0]),
    )
    return [member for _, member in order]


def lead(members: Sequence[Proposal]) -> Proposal:
    """The file a record takes its title and kind from."""
    return ranked(members)[0]


def participants(members: Sequence[Proposal]) -> int | None:
    """The count of the first file, in lead order, that gave one."""
    return next((m.participants for m in ranked(members) if m.participants is not None), None)
