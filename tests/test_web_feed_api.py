"""The calendar feed token, the OpenAPI description, fuzzing the API, and `obligations user`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from tests.web_support import WebWorld, web, world_template

from obligations.cli.main import cli
from obligations.models import Task

__all__ = ["web", "world_template"]


def feed_url(web: WebWorld, username: str) -> str:
    client, csrf = web.login(username)
    page = client.post("/account/calendar-feed", data={"csrf_token": csrf, "confirm": "yes"})
    match = re.search(r'<input id="feed-url" value="([^"]+)"', page.text)
    assert match
    return match.group(1).replace("http://testserver", "")


def test_the_calendar_feed_lists_the_persons_tasks_as_all_day_events_with_stable_uids(
    web: WebWorld,
) -> None:
    url = feed_url(web, "b1_secretary")
    first = web.client.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(first.content).walk("VEVENT")
    uids = {str(e["UID"]) for e in events}
    assert f"obligations-task-{web.ids['task_b1']}" in uids
    assert f"obligations-task-{web.ids['task_u02']}" not in uids
    start = events[0].decoded("DTSTART")
    assert not hasattr(start, "hour")  # a date: an all-day event
    again = Calendar.from_ical(web.client.get(url).content).walk("VEVENT")
    assert {str(e["UID"]) for e in again} == uids


def test_a_new_feed_url_revokes_the_old_one_and_guessed_tokens_are_not_found(
    web: WebWorld,
) -> None:
    old = feed_url(web, "b1_secretary")
    new = feed_url(web, "b1_secretary")
    assert web.client.get(old).status_code == 404
    assert web.client.get(new).status_code == 200
    assert web.client.get("/calendar/guessed-token.ics").status_code == 404


def test_the_openapi_description_covers_tasks_evidence_and_ledgers(web: WebWorld) -> None:
    spec = web.client.get("/api/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/api/tasks",
        "/api/tasks/{task_id}",
        "/api/tasks/{task_id}/evidence",
        "/api/evidence/{record_id}",
        "/api/evidence/{record_id}/review",
        "/api/evidence/{record_id}/withdraw",
        "/api/units/{code}/ledger/{year}",
    } <= paths
    assert (
        "multipart/form-data"
        in spec["paths"]["/api/tasks/{task_id}/evidence"]["post"]["requestBody"]["content"]
    )
    assert not any(p.startswith("/tasks") for p in paths)  # pages stay out of the API


TEXT = st.text(max_size=30)
VALUE = st.one_of(st.integers(-(2**40), 2**40), TEXT, st.none(), st.booleans())


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


@st.composite
def requests(draw: st.DrawFn, operations: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    path, method, op = draw(st.sampled_from(operations))
    for param in op.get("parameters", []):
        if param["in"] == "path":
            value = draw(
                st.one_of(
                    st.integers(-5, 60),
                    TEXT.filter(lambda s: "/" not in s and s not in (".", "..")),
                )
            )
            path = path.replace("{" + param["name"] + "}", quote(str(value), safe="") or "0")
    query = {
        p["name"]: draw(VALUE)
        for p in op.get("parameters", [])
        if p["in"] == "query" and draw(st.booleans())
    }
    body = draw(
        st.one_of(
            st.none(),
            st.dictionaries(TEXT, VALUE, max_size=3),
            st.fixed_dictionaries({"accept": VALUE, "reason": VALUE}),
        )
    )
    form = draw(
        st.dictionaries(
            st.sampled_from(["title", "held_on", "kind", "participants", "hours", "notes"]),
            TEXT,
            max_size=6,
        )
    )
    return {
        "path": path,
        "method": method,
        "query": {k: v for k, v in query.items() if v is not None},
        "json": body,
        "form": form,
    }


def test_the_api_shows_a_retired_task_by_id_as_retired(web: WebWorld) -> None:
    task_id = web.ids["task_u01"]
    with web.sessions.begin() as db:
        task = db.get(Task, task_id)
        assert task is not None
        task.retired_at, task.retired_reason = web.clock[0], "按现行规则和组织数据不再需要"
    response = web.api("admin").get(f"/api/tasks/{task_id}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (task_id, "retired")


def test_no_generated_request_makes_the_api_fail_with_a_server_error(web: WebWorld) -> None:
    spec = web.client.get("/api/openapi.json").json()
    clients = {"admin": web.api("admin"), "b1": web.api("b1_secretary"), "none": web.client}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(req=requests(_operations(spec)), who=st.sampled_from(sorted(clients)))
    def check(req: dict[str, Any], who: str) -> None:
        client = clients[who]
        if req["method"] == "GET":
            response = client.get(req["path"], params=req["query"])
        elif req["path"].endswith("/evidence") and req["form"]:
            files = [("files", ("记录.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))]
            response = client.post(req["path"], data=req["form"], files=files)
        else:
            response = client.post(req["path"], params=req["query"], json=req["json"])
        assert response.status_code < 500, (req, response.text[:300])

    check()


def test_user_commands_add_change_the_password_and_disable_accounts(web: WebWorld) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(web.settings.data_dir), "user"]
    added = runner.invoke(
        cli,
        [*base, "add", "wang", "--role", "unit_manager", "--scope", "U02", "--person", "T3"],
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert added.exit_code == 0, added.output
    assert "已新增账户 wang（单位管理员）" in added.output
    wrong_scope = runner.invoke(
        cli,
        [*base, "add", "li", "--role", "branch_secretary", "--scope", "U01"],
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert wrong_scope.exit_code == 2 and "党支部" in wrong_scope.output
    assert (
        runner.invoke(
            cli, [*base, "passwd", "wang"], input="n3w-pass-word\nn3w-pass-word\n"
        ).exit_code
        == 0
    )
    disabled = runner.invoke(cli, [*base, "disable", "wang"])
    assert disabled.exit_code == 0 and "已禁用账户 wang" in disabled.output
    assert runner.invoke(cli, [*base, "disable", "nobody"]).exit_code == 2
