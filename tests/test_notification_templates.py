"""Reminder templates: every event in Chinese, data-directory overrides, errors naming the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from obligations.channels import Contact, ContactKind
from obligations.paths import shipped_dir
from obligations.reminders.templates import (
    NotificationContext,
    NotificationEvent,
    NotificationItem,
    NotificationRenderer,
    NotificationTemplateError,
    TemplatePart,
    cn_date,
)
from obligations.tasks.status import TaskStatus

TODAY = date(2026, 6, 3)


def item(
    unit: str, branch: str, title: str, due: date, status: TaskStatus, overdue: int = 0
) -> NotificationItem:
    return NotificationItem(
        unit_name=unit,
        branch_name=branch,
        ledger_item="三会一课",
        task_title=title,
        period_label="2026年第二季度",
        due_date=due,
        status=status,
        link_url=f"https://dj.example.edu.cn/tasks/{len(title)}",
        days_overdue=overdue,
    )


ITEMS = (
    item("马克思主义学院党委", "教工第一党支部", "召开支部党员大会", date(2026, 6, 5),
         TaskStatus.DUE_SOON),
    item("机械工程学院党委", "学生党支部", "开展主题党日活动", date(2026, 5, 31),
         TaskStatus.OVERDUE, 3),
    item("马克思主义学院党委", "学生第二党支部", "召开组织生活会", date(2026, 5, 20),
         TaskStatus.OVERDUE, 14),
)  # fmt: skip
CONTEXT = NotificationContext(
    recipient_name="张三",
    items=ITEMS,
    dashboard_url="https://dj.example.edu.cn/tasks",
    today=TODAY,
)


@pytest.fixture
def renderer() -> NotificationRenderer:
    return NotificationRenderer.for_data_dir(None)


@pytest.mark.parametrize("event", list(NotificationEvent))
def test_every_event_renders_subject_text_html_and_markdown_in_chinese(
    event: NotificationEvent, renderer: NotificationRenderer
) -> None:
    rendered = renderer.render(event, CONTEXT)

    assert rendered.subject.startswith("【党建任务")
    assert "\n" not in rendered.subject
    for body in (rendered.text, rendered.html, rendered.markdown):
        assert "张三" in body
        assert "召开组织生活会" in body
        assert "学生第二党支部" in body
        assert "{{" not in body and "{%" not in body
    assert rendered.text.startswith("张三同志：")
    assert 'lang="zh-CN"' in rendered.html
    assert "https://dj.example.edu.cn/tasks" in rendered.markdown
    assert "(https://dj.example.edu.cn/tasks/" in rendered.markdown  # a link per task


def test_due_soon_text_counts_the_days_left_from_today(renderer: NotificationRenderer) -> None:
    rendered = renderer.render(NotificationEvent.DUE_SOON, CONTEXT)
    assert "截止日期：2026年6月5日（还剩 2 天）" in rendered.text


def test_overdue_subject_names_the_single_task_and_its_days_overdue(
    renderer: NotificationRenderer,
) -> None:
    context = NotificationContext("李四", ITEMS[1:2], "https://dj.example.edu.cn", TODAY)
    rendered = renderer.render(NotificationEvent.OVERDUE, context)
    assert rendered.subject == "【党建任务逾期】“开展主题党日活动”已逾期 3 天"


def test_digest_groups_items_by_unit_then_overdue_before_due_soon(
    renderer: NotificationRenderer,
) -> None:
    groups = [(g.unit_name, g.status_label, len(g.items)) for g in CONTEXT.groups]
    assert groups == [
        ("马克思主义学院党委", "已逾期", 1),
        ("马克思主义学院党委", "即将到期", 1),
        ("机械工程学院党委", "已逾期", 1),
    ]
    rendered = renderer.render(NotificationEvent.DIGEST, CONTEXT)
    assert rendered.subject == "【党建任务汇总】2026年6月3日：2 项已逾期，1 项即将到期"
    text = rendered.text
    assert (
        text.index("【马克思主义学院党委 · 已逾期（1 项）】")
        < text.index("【马克思主义学院党委 · 即将到期（1 项）】")
        < text.index("【机械工程学院党委 · 已逾期（1 项）】")
    )


def test_html_escapes_what_users_typed_but_text_and_markdown_keep_it(
    renderer: NotificationRenderer,
) -> None:
    risky = item("<b>党委</b>", "支部 & 小组", "<script>alert(1)</script>", TODAY,
                 TaskStatus.DUE_SOON)  # fmt: skip
    context = NotificationContext("王五", (risky,), "https://dj.example.edu.cn", TODAY)
    rendered = renderer.render(NotificationEvent.DUE_SOON, context)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<script>" not in rendered.html
    assert "支部 &amp; 小组" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text
    assert "支部 & 小组" in rendered.markdown


def test_a_template_in_the_data_directory_overrides_the_shipped_one(tmp_path: Path) -> None:
    override = tmp_path / "notifications" / "overdue" / "subject.txt"
    override.parent.mkdir(parents=True)
    override.write_text("【请尽快办理】{{ recipient_name }}，您有 {{ items|length }} 项逾期任务\n")

    rendered = NotificationRenderer.for_data_dir(tmp_path).render(
        NotificationEvent.OVERDUE, CONTEXT
    )
    assert rendered.subject == "【请尽快办理】张三，您有 3 项逾期任务"
    assert rendered.text.startswith("张三同志：")  # the other parts still come from the shipped set


def test_a_data_directory_without_templates_uses_the_shipped_ones(tmp_path: Path) -> None:
    renderer = NotificationRenderer.for_data_dir(tmp_path)
    assert renderer.template_dirs == (shipped_dir("notifications"),)


def test_a_template_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "notifications" / "digest" / "markdown.md"
    broken.parent.mkdir(parents=True)
    broken.write_text("**汇总**\n{% for group in groups %}\n- {{ group.unit_name }\n")

    renderer = NotificationRenderer.for_data_dir(tmp_path)
    with pytest.raises(NotificationTemplateError) as failure:
        renderer.render(NotificationEvent.DIGEST, CONTEXT)
    assert failure.value.file == str(broken)
    assert failure.value.line == 3
    assert str(broken) in str(failure.value)
    assert "第 3 行" in str(failure.value)
    with pytest.raises(NotificationTemplateError):
        renderer.check()


def test_an_undefined_variable_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "notifications" / "due_soon" / "body.txt"
    broken.parent.mkdir(parents=True)
    broken.write_text("{{ recipient_name }}同志：\n\n{{ recipient_title }}\n")

    with pytest.raises(NotificationTemplateError) as failure:
        NotificationRenderer.for_data_dir(tmp_path).render(NotificationEvent.DUE_SOON, CONTEXT)
    assert failure.value.file == str(broken)
    assert failure.value.line == 3
    assert "recipient_title" in str(failure.value)


def test_a_missing_template_names_what_was_looked_for(tmp_path: Path) -> None:
    renderer = NotificationRenderer([tmp_path])
    with pytest.raises(NotificationTemplateError) as failure:
        renderer.render_part(NotificationEvent.DIGEST, TemplatePart.MARKDOWN, CONTEXT)
    assert "digest/markdown.md" in str(failure.value)
    assert str(tmp_path) in str(failure.value)


def test_the_shipped_templates_all_parse(renderer: NotificationRenderer) -> None:
    renderer.check()


def test_extra_variables_reach_custom_templates(tmp_path: Path) -> None:
    custom = tmp_path / "notifications" / "escalation" / "subject.txt"
    custom.parent.mkdir(parents=True)
    custom.write_text("【督办】{{ college_name }}")
    context = NotificationContext(
        "张三", ITEMS, "https://x", TODAY, extra={"college_name": "某学院"}
    )
    rendered = NotificationRenderer.for_data_dir(tmp_path).render(
        NotificationEvent.ESCALATION, context
    )
    assert rendered.subject == "【督办】某学院"


def test_a_rendered_notification_becomes_a_message_for_any_channel(
    renderer: NotificationRenderer,
) -> None:
    rendered = renderer.render(NotificationEvent.DUE_SOON, CONTEXT)
    zhangsan = Contact(
        "张三",
        {ContactKind.EMAIL: ("zhangsan@example.edu.cn",), ContactKind.MOBILE: ("13800138000",)},
    )
    message = rendered.message(to=[zhangsan])
    assert message.subject == rendered.subject
    assert message.html == rendered.html
    assert message.robot_text == rendered.markdown
    assert message.to == (zhangsan,)
    assert message.addresses(ContactKind.MOBILE) == ("13800138000",)


def test_cn_date_writes_a_chinese_date() -> None:
    assert cn_date(date(2026, 10, 1)) == "2026年10月1日"
