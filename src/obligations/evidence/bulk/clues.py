"""The clues a file gives (pure): which activity it names, which branch or person, how many
took part, what kind of evidence it is. Where each clue was found matters: the file name
(and its folders) is the strongest, the first lines of the text (its heading) next, the rest
of the text last."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from obligations.rules.schema import Rule
from obligations.vocabulary import EvidenceKind

HEAD_CHARS = 200  # the heading of a text: its first lines


class Place(IntEnum):
    """Where a clue was found, weakest first."""

    BODY = 1
    HEAD = 2
    NAME = 3

    @property
    def label(self) -> str:
        return {Place.NAME: "文件名", Place.HEAD: "正文标题", Place.BODY: "正文"}[self]


@dataclass(frozen=True)
class Term:
    """A name (``text``) that points to ``target`` (a rule id, a branch code, a person code)."""

    text: str
    target: str


@dataclass(frozen=True)
class Hit:
    term: Term
    place: Place
    start: int


@dataclass(frozen=True)
class Places:
    """A file's text split by place: its name with folders, its heading, the rest."""

    name: str
    head: str
    body: str

    @classmethod
    def of(cls, name: str, text: str) -> Places:
        text = text.strip()
        return cls(name, text[:HEAD_CHARS], text[HEAD_CHARS:])

    def items(self) -> list[tuple[Place, str]]:
        return [(Place.NAME, self.name), (Place.HEAD, self.head), (Place.BODY, self.body)]


def rule_terms(rule: Rule) -> list[Term]:
    """A rule's title, its parts in brackets as names of their own (主题党日（党员活动日）
    gives both), and its synonyms."""
    names = [rule.title, *rule.synonyms]
    for part in re.split(r"[（）()]", rule.title):
        if len(part.strip()) >= 2:
            names.append(part.strip())
    return [Term(name, rule.id) for name in dict.fromkeys(names)]


def find_hits(places: Places, terms: Sequence[Term]) -> list[Hit]:
    """Every occurrence of every term, less those inside a longer one found at the same place
    (党课 inside 班子成员讲党课 is not a hit of its own)."""
    hits: list[Hit] = []
    for place, text in places.items():
        spans: list[tuple[int, int, Term]] = []
        for term in terms:
            start = text.find(term.text)
            while start >= 0:
                spans.append((start, start + len(term.text), term))
                start = text.find(term.text, start + 1)
        for start, end, term in spans:
            inside = any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
            if not inside:
                hits.append(Hit(term, place, start))
    return hits


@dataclass(frozen=True)
class Choice:
    """The target named most strongly, where it was named, and a rival named as strongly."""

    target: str
    place: Place
    term: str
    rival: str | None = None


def strongest(hits: Iterable[Hit]) -> Choice | None:
    """The target with the best place (then the most hits there, then the longest term);
    ``rival`` is another target named at the same place as often."""
    best: dict[str, tuple[Place, int, int, str]] = {}
    for hit in hits:
        place, count, length, term = best.get(hit.term.target, (Place.BODY, 0, 0, ""))
        if hit.place > place or count == 0:
            best[hit.term.target] = (hit.place, 1, len(hit.term.text), hit.term.text)
        elif hit.place == place:
            longer = len(hit.term.text) > length
            best[hit.term.target] = (
                place,
                count + 1,
                max(length, len(hit.term.text)),
                hit.term.text if longer else term,
            )
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[1][2]), reverse=True)
    target, (place, count, _length, term) = ranked[0]
    rival = None
    if len(ranked) > 1 and ranked[1][1][:2] == (place, count):
        rival = ranked[1][0]
    return Choice(target, place, term, rival)


_PARTICIPANTS = [
    re.compile(r"实到\s*[:：]?\s*(\d{1,4})\s*人?"),
    re.compile(r"(?:参会|出席|参加|到会|签到)人数\s*[:：为]?\s*(\d{1,4})"),
    re.compile(r"签到\s*[:：]?\s*(\d{1,4})\s*人"),
    re.compile(r"共\s*(\d{1,4})\s*(?:人|名(?:党员|同志)?)\s*(?:参加|出席|参会|到会)"),
]


def participants(text: str) -> tuple[int, str] | None:
    """The number of participants a text states ("实到 23 人", "参会人数：23", "签到 23 人",
    "共23人参加") and the words that state it; "实到" wins over "应到"."""
    for pattern in _PARTICIPANTS:
        match = pattern.search(text)
        if match:
            return int(match.group(1)), match.group(0).strip()
    return None


_KIND_WORDS: list[tuple[EvidenceKind, tuple[str, ...]]] = [
    (EvidenceKind.SIGN_IN, ("签到",)),
    (EvidenceKind.MINUTES, ("会议记录", "记录", "纪要")),
    (EvidenceKind.PHOTOS, ("照片", "图片", "合影")),
    (
        EvidenceKind.DOCUMENT,
        ("通知", "方案", "计划", "总结", "报告", "公示", "公布", "名单", "文件", "台账", "要点"),
    ),
]


def evidence_kind(places: Places, *, photo: bool, rule: Rule | None) -> EvidenceKind:
    """A photo is a photo; else the first kind named in the file name or heading (签到 before
    记录 before 通知...); else the rule's first expected kind; else 其他."""
    if photo:
        return EvidenceKind.PHOTOS
    for text in (places.name, places.head):
        for kind, words in _KIND_WORDS:
            if any(word in text for word in words):
                return kind
    if rule is not None and rule.evidence_kinds:
        return rule.evidence_kinds[0]
    return EvidenceKind.OTHER


def first_line(text: str, *, shortest: int = 4, longest: int = 60) -> str | None:
    """The first line of ``text`` between ``shortest`` and ``longest`` characters (a heading)."""
    for line in text.strip().splitlines()[:5]:
        line = line.strip()
        if shortest <= len(line) <= longest:
            return line
    return None
