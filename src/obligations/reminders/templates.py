"""Reminder messages from Jinja2 templates, in Simplified Chinese.

Templates live in ``notifications/<event>/<part>`` (see ``notifications/README.md``): the
email parts ``subject.txt``, ``body.txt`` and ``body.html``, and ``markdown.md`` for the group
robots (which use the subject as their title). A data directory's ``notifications/`` folder is
searched before the shipped one, file by file, so a college overrides only what it changes.
Only ``.html`` templates are autoescaped; an undefined variable is an error, not an empty
string; a broken template raises :class:`NotificationTemplateError` naming the file and line.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context

from obligations.channels import Contact, OutgoingMessage
from obligations.errors import ServiceError
from obligations.paths import shipped_dir
from obligations.tasks.status import TaskStatus


class NotificationEvent(enum.StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    DIGEST = "digest"


class TemplatePart(enum.StrEnum):
    SUBJECT = "subject.txt"
    BODY_TEXT = "body.txt"
    BODY_HTML = "body.html"
    MARKDOWN = "markdown.md"


# Within a unit, the digest lists the most urgent state first.
_STATE_ORDER = {
    TaskStatus.OVERDUE: 0,
    TaskStatus.DUE_SOON: 1,
    TaskStatus.OPEN: 2,
    TaskStatus.UPCOMING: 3,
}


@dataclass(frozen=True)
class NotificationItem:
    """One task in a message: who owes it, what it is, by when, and where to act on it."""

    unit_name: str  # 二级党组织（党委、党总支）
    branch_name: str  # 党支部
    ledger_item: str  # 台账项目
    task_title: str
    period_label: str  # e.g. "2026年第二季度"
    due_date: date
    status: TaskStatus
    link_url: str
    days_overdue: int = 0


@dataclass(frozen=True)
class ItemGroup:
    unit_name: str
    status: TaskStatus
    items: tuple[NotificationItem, ...]

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class NotificationContext:
    """What every event's templates receive; the digest also uses :attr:`groups`.

    ``today`` is the local date the message speaks of (templates show days left from it).
    Units keep the order of their first item; within a unit, overdue comes before due soon,
    and items go by due date, then branch.
    """

    recipient_name: str
    items: Sequence[NotificationItem]
    dashboard_url: str
    today: date
    extra: dict[str, Any] = field(default_factory=dict)  # more variables for custom templates

    @property
    def groups(self) -> tuple[ItemGroup, ...]:
        units: dict[str, dict[TaskStatus, list[NotificationItem]]] = {}
        for item in self.items:
            units.setdefault(item.unit_name, {}).setdefault(item.status, []).append(item)
        return tuple(
            ItemGroup(unit, status, tuple(sorted(found, key=_item_order)))
            for unit, by_status in units.items()
            for status, found in sorted(by_status.items(), key=_status_order)
        )

    def count(self, status: TaskStatus) -> int:
        return sum(1 for item in self.items if item.status is status)

    def template_vars(self) -> dict[str, Any]:
        return {
            **self.extra,
            "recipient_name": self.recipient_name,
            "items": sorted(self.items, key=_item_order),
            "groups": self.groups,
            "dashboard_url": self.dashboard_url,
            "today": self.today,
            "overdue_count": self.count(TaskStatus.OVERDUE),
            "due_soon_count": self.count(TaskStatus.DUE_SOON),
            "branch_count": len({(i.unit_name, i.branch_name) for i in self.items}),
        }


def _item_order(item: NotificationItem) -> tuple[date, str, str]:
    return (item.due_date, item.branch_name, item.task_title)


def _status_order(entry: tuple[TaskStatus, list[NotificationItem]]) -> int:
    return _STATE_ORDER.get(entry[0], len(_STATE_ORDER))


@dataclass(frozen=True)
class RenderedNotification:
    subject: str
    text: str
    html: str
    markdown: str

    def message(self, *, to: Sequence[Contact] = ()) -> OutgoingMessage:
        """The message for the contacts ``to``; each channel picks their addresses it uses."""
        return OutgoingMessage(
            subject=self.subject,
            text=self.text,
            html=self.html,
            markdown=self.markdown,
            to=tuple(to),
        )


class NotificationTemplateError(ServiceError):
    """A template that cannot be found, parsed or rendered; names the file and the line."""

    def __init__(self, message: str, *, file: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file} 第 {line} 行" if line else file
        super().__init__(f"消息模板 {where}：{message}")


class NotificationRenderer:
    """Renders events from template folders searched in order (the first holding a file wins)."""

    def __init__(self, template_dirs: Sequence[Path]) -> None:
        if not template_dirs:
            raise ValueError("no template folder given")
        self.template_dirs = tuple(template_dirs)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.template_dirs]),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["cn_date"] = cn_date
        self._env.filters["days_left"] = _days_left

    @classmethod
    def for_data_dir(cls, data_dir: Path | None) -> NotificationRenderer:
        """The data directory's ``notifications/`` (when present) over the shipped templates."""
        dirs: list[Path] = []
        if data_dir is not None and (data_dir / "notifications").is_dir():
            dirs.append(data_dir / "notifications")
        dirs.append(shipped_dir("notifications"))
        return cls(dirs)

    def render(
        self, event: NotificationEvent, context: NotificationContext
    ) -> RenderedNotification:
        variables = context.template_vars()
        subject = self._render(event, TemplatePart.SUBJECT, variables)
        return RenderedNotification(
            subject=" ".join(subject.split()),
            text=self._render(event, TemplatePart.BODY_TEXT, variables).strip() + "\n",
            html=self._render(event, TemplatePart.BODY_HTML, variables),
            markdown=self._render(event, TemplatePart.MARKDOWN, variables).strip(),
        )

    def render_part(
        self, event: NotificationEvent, part: TemplatePart, context: NotificationContext
    ) -> str:
        return self._render(event, part, context.template_vars())

    def check(self) -> None:
        """Parse every event's every part; raise on the first broken or missing one."""
        for event in NotificationEvent:
            for part in TemplatePart:
                self._template(template_name(event, part))

    def _render(
        self, event: NotificationEvent, part: TemplatePart, variables: dict[str, Any]
    ) -> str:
        template = self._template(template_name(event, part))
        try:
            return template.render(variables)
        except jinja2.TemplateError as error:
            file, line = self._failing_line(error.__traceback__)
            raise NotificationTemplateError(
                f"渲染出错：{error.message or type(error).__name__}",
                file=file or template.filename or template_name(event, part),
                line=line,
            ) from error

    def _failing_line(self, tb: TracebackType | None) -> tuple[str | None, int | None]:
        """Template file and line where rendering failed (Jinja maps frames to template lines).

        The innermost template frame wins, so an error in an included layout names the layout.
        """
        roots = tuple(str(d) for d in self.template_dirs)
        found: tuple[str | None, int | None] = (None, None)
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(roots):
                found = (filename, tb.tb_lineno)
            tb = tb.tb_next
        return found

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self._env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise NotificationTemplateError(
                f"语法错误：{error.message}", file=error.filename or name, line=error.lineno
            ) from error
        except jinja2.TemplateNotFound as error:
            searched = "、".join(str(d) for d in self.template_dirs)
            raise NotificationTemplateError(
                f"找不到模板文件（已查找 {searched}）", file=name
            ) from error


def template_name(event: NotificationEvent, part: TemplatePart) -> str:
    return f"{event.value}/{part.value}"


def cn_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


@pass_context
def _days_left(context: Context, due_date: date) -> int:
    today: date = context["today"]
    return (due_date - today).days
