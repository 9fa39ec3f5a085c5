"""A refused form names each field by the label the page shows (豁免原因, 落实情况, 材料类型 …),
never by its English field name."""

from __future__ import annotations

import pytest
from tests.storage_samples import PDF
from tests.web_support import WebWorld, web, world_template

from obligations.ledger.notes import MAX_TEXT
from obligations.vocabulary import EvidenceKind

__all__ = ["web", "world_template"]

TOO_LONG_REASON = "原" * 2001  # over the forms' 2000-character bound


@pytest.mark.parametrize(
    ("path", "record", "label"),
    [
        ("/tasks/{}/waive", "task_b1", "豁免原因"),
        ("/evidence/{}/withdraw", "rec_b1", "撤回原因"),
        ("/evidence/{}/review", "rec_b1", "退回原因"),
    ],
)
def test_an_over_long_reason_is_named_by_its_form_label(
    web: WebWorld, path: str, record: str, label: str
) -> None:
    client, csrf = web.login("admin")
    data = {"csrf_token": csrf, "reason": TOO_LONG_REASON, "decision": "reject"}
    response = client.post(path.format(web.ids[record]), data=data)
    assert response.status_code == 400
    assert f"{label}过长" in response.text
    assert "reason" not in response.text.split("<main", 1)[-1].replace('name="reason"', "")


@pytest.mark.parametrize(("field", "label"), [("narrative", "落实情况"), ("measures", "措施")])
def test_an_over_long_ledger_note_is_named_by_its_form_label(
    web: WebWorld, field: str, label: str
) -> None:
    client, csrf = web.login("admin")
    response = client.post(
        "/units/U01/ledger/2026/items/2.3/notes",
        data={"csrf_token": csrf, field: "落" * (MAX_TEXT * 4 + 1)},
    )
    assert response.status_code == 400
    assert f"{label}过长" in response.text
    assert f"{field}过长" not in response.text


def test_an_unknown_material_type_lists_the_chinese_kinds(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    response = client.post(
        f"/tasks/{web.ids['task_b1']}/evidence",
        data={"csrf_token": csrf, "title": "支部党员大会", "held_on": "2026-10-20", "kind": "x"},
        files=[("files", ("记录.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 400
    assert "材料类型" in response.text
    for kind in EvidenceKind:
        assert kind.label in response.text
    assert "sign_in、" not in response.text and "minutes、" not in response.text
