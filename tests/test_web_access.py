"""Every page and API endpoint, for every role, on its own and on another unit's objects:
allowed, refused (403) or not found (404, so ids of other units cannot be probed). The grid of
routes (and of the services behind them, :mod:`tests.access_grid`) runs on SQLite and
PostgreSQL and checks the effect: an allowed write wrote, a refused one wrote nothing."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import pytest
from tests.access_grid import Effect, Route, grid_world, prepare, snapshot
from tests.storage_samples import PDF
from tests.web_support import NOW, USERS, WebWorld, web, world_template

from obligations.accounts.access import Forbidden, Principal
from obligations.accounts.users import get_user, principal_of
from obligations.errors import NotFound
from obligations.evidence import records
from obligations.evidence.records import (
    EvidenceInput,
    EvidencePolicy,
    StandingTarget,
    StoredFile,
)
from obligations.evidence.storage import FileType, StoredBlob, UploadLimits
from obligations.ledger import notes
from obligations.tasks import waivers

__all__ = ["grid_world", "web", "world_template"]

ALL = set(USERS)
COLLEGE = {"admin", "viewer_all"}
U01_WHOLE = COLLEGE | {"u01_manager", "u01_viewer"}
U02_WHOLE = COLLEGE | {"u02_manager"}
WRITERS = ALL - {"viewer_all", "u01_viewer"}

# Who sees each object.
SEES = {
    "task_b1": U01_WHOLE | {"b1_secretary"},
    "task_b1_open": U01_WHOLE | {"b1_secretary"},
    "task_u01": U01_WHOLE,
    "task_u02": U02_WHOLE,
    "rec_b1": U01_WHOLE | {"b1_secretary"},
    "rec_u02": U02_WHOLE,
    "U01": U01_WHOLE,
    "U02": U02_WHOLE,
}
# Who may act on a visible object.
MAY = {
    "upload": WRITERS,
    "waive": {"admin", "u01_manager", "u02_manager"},
    "review": {"admin", "u01_manager", "u02_manager"},  # a unit manager their own unit's
    "review inbox": {"admin", "u01_manager", "u02_manager"},
    "intake": WRITERS,
    "withdraw": {"admin", "u01_manager", "u02_manager", "b1_secretary"},
    "ledger notes": {"admin", "u01_manager", "u02_manager"},
    "own account": ALL,
}


ROUTES = [
    Route("task page", "GET", "/tasks/{obj}", ("task_b1", "task_u01", "task_u02")),
    Route("unit page", "GET", "/units/{obj}", ("U01", "U02")),
    Route("ledger page", "GET", "/units/{obj}/ledger", ("U01", "U02")),
    Route("ledger html", "GET", "/units/{obj}/ledger/2026.html", ("U01", "U02")),
    Route("ledger xlsx", "GET", "/units/{obj}/ledger/2026.xlsx", ("U01", "U02")),
    Route("ledger docx", "GET", "/units/{obj}/ledger/2026.docx", ("U01", "U02")),
    Route("ledger bundle", "GET", "/units/{obj}/ledger/2026/bundle.zip", ("U01", "U02")),
    Route("ledger notes", "POST", "/units/{obj}/ledger/2026/items/2.3/notes", ("U01", "U02"),
          "ledger notes", form=True),
    Route("intake form", "GET", "/units/{obj}/intake", ("U01", "U02"), "intake"),
    Route("evidence file", "GET", "/evidence/{obj}/files/1", ("rec_b1", "rec_u02")),
    Route("upload", "POST", "/tasks/{obj}/evidence", ("task_b1", "task_u02"), "upload",
          upload=True),
    Route("waive", "POST", "/tasks/{obj}/waive", ("task_b1", "task_u02"), "waive", form=True),
    Route("unwaive", "POST", "/tasks/{obj}/unwaive", ("task_b1", "task_u02"), "unwaive",
          form=True),
    Route("review", "POST", "/evidence/{obj}/review", ("rec_b1", "rec_u02"), "review", form=True),
    Route("review inbox", "GET", "/review", ("self",), "review inbox"),
    Route("inbox review", "POST", "/review/{obj}", ("rec_b1", "rec_u02"), "review", form=True),
    Route("withdraw", "POST", "/evidence/{obj}/withdraw", ("rec_b1", "rec_u02"), "withdraw",
          form=True),
    Route("api token", "POST", "/account/api-tokens", ("self",), "api token", form=True),
    Route("feed token", "POST", "/account/calendar-feed", ("self",), "feed token", form=True),
    Route("api task", "GET", "/api/tasks/{obj}", ("task_b1", "task_u01", "task_u02"), api=True),
    Route("api task evidence", "GET", "/api/tasks/{obj}/evidence", ("task_b1", "task_u02"),
          api=True),
    Route("api evidence", "GET", "/api/evidence/{obj}", ("rec_b1", "rec_u02"), api=True),
    Route("api file", "GET", "/api/evidence/{obj}/files/1", ("rec_b1", "rec_u02"), api=True),
    Route("api ledger", "GET", "/api/units/{obj}/ledger/2026", ("U01", "U02"), api=True),
    Route("api upload", "POST", "/api/tasks/{obj}/evidence", ("task_b1", "task_u02"), "upload",
          api=True, upload=True),
    Route("api review", "POST", "/api/evidence/{obj}/review", ("rec_b1", "rec_u02"), "review",
          api=True, json=True),
    Route("api withdraw", "POST", "/api/evidence/{obj}/withdraw", ("rec_b1", "rec_u02"),
          "withdraw", api=True, json=True),
]  # fmt: skip
CASES = [
    pytest.param(route, user, obj, id=f"{route.name}-{user}-{obj}")
    for route in ROUTES
    for user in sorted(USERS)
    for obj in route.objects
]
SEES["self"] = ALL
MAY["unwaive"] = MAY["waive"]
MAY["api token"] = MAY["feed token"] = MAY.pop("own account")
MAY["api token"] = ALL - {"b1_secretary", "b2_secretary"}  # secretaries work in the pages


def expected(route: Route, user: str, obj: str) -> int:
    if user not in SEES[obj]:
        return 404
    if route.action and user not in MAY[route.action]:
        return 403
    return 200


def call(web: WebWorld, route: Route, user: str, key: str):  # type: ignore[no-untyped-def]
    path = route.path.format(obj=key)
    if route.api:
        client, csrf = web.api(user), ""
    else:
        client, csrf = web.login(user)
    if route.upload:
        fields = {"csrf_token": csrf, "title": "支部党员大会", "held_on": "2026-10-20"}
        # Content of its own: the same file sent again to a task is refused as a double submit.
        content = PDF + f"% {user} {path}\n".encode()
        files = [("files", ("记录.pdf", content, "application/pdf"))]
        return lambda: client.post(path, data=fields, files=files)
    if route.json:
        return lambda: client.post(path, json={"accept": False, "reason": "材料不全"})
    if route.form:
        fields = {"decision": "reject", "reason": "不适用", "narrative": f"已落实（{user}）"}
        return lambda: client.post(path, data={"csrf_token": csrf} | fields)
    return lambda: client.get(path)


@pytest.mark.parametrize(("route", "user", "obj"), CASES)
def test_every_route_allows_or_refuses_each_role_and_an_allowed_write_is_the_only_one_written(
    grid_world: WebWorld, route: Route, user: str, obj: str
) -> None:
    want = expected(route, user, obj)
    key = prepare(grid_world, route.action, obj, user)
    send = call(grid_world, route, user, key)  # signs in (writes a session) before the snapshot
    before = snapshot(grid_world.sessions)
    response = send()
    after = snapshot(grid_world.sessions)
    got = response.status_code
    if want == 200:
        assert got in (200, 201, 303), (got, response.text[:500])
        assert not response.headers.get("location", "").startswith("/login"), "sent to sign in"
        if route.action:
            Effect.of(route.action).assert_done(before, after, key, user)
        else:
            assert after == before
    else:
        assert got == want, response.text[:500]
        assert after == before, "a refused request wrote"


@pytest.mark.parametrize("user", sorted(USERS))
def test_guessed_ids_of_any_other_object_are_not_found(web: WebWorld, user: str) -> None:
    client, _ = web.login(user)
    api = web.api(user)
    for task_id in range(1, 400, 7):
        page = client.get(f"/tasks/{task_id}").status_code
        assert page in (200, 404)
        assert api.get(f"/api/tasks/{task_id}").status_code == page
    for record_id in range(1, 20):
        visible = record_id in {web.ids[r] for r in ("rec_b1", "rec_u02") if user in SEES[r]}
        status = client.get(f"/evidence/{record_id}/files/1").status_code
        assert status == (200 if visible else 404)


ADMIN_PAGES = (
    "/admin",
    "/admin/rules",
    "/admin/calendar",
    "/admin/audit",
    "/admin/import",
    "/admin/import/template.xlsx",
    "/admin/channels",
    "/admin/channels?failures=true",
)


@pytest.mark.parametrize("user", sorted(USERS))
def test_administration_pages_are_for_administrators_only(web: WebWorld, user: str) -> None:
    client, _ = web.login(user)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == (200 if user == "admin" else 403), path


@pytest.mark.parametrize("user", sorted(USERS))
def test_administration_actions_are_for_administrators_only(
    grid_world: WebWorld, user: str
) -> None:
    """The workbook upload and the channel test: the administrator's import adds its person
    and the test sends its message; anyone else is refused before anything is read, written
    or sent."""
    from tests.reminder_support import Inbox, channels_file, inbox_server
    from tests.test_web_admin_import import counts, workbook

    client, csrf = grid_world.login(user)
    allowed = user == "admin"
    before = (snapshot(grid_world.sessions), counts(grid_world))
    content = workbook({"人员": [["T99", "陈明", "chenming@example.edu.cn"]]})
    upload = client.post(
        "/admin/import",
        data={"csrf_token": csrf},
        files=[("file", ("导入.xlsx", content, "application/octet-stream"))],
    )
    assert upload.status_code == (200 if allowed else 403), upload.text[:300]
    organizations, people, roles = before[1]
    expected = (organizations, people + 1, roles) if allowed else before[1]
    assert counts(grid_world) == expected
    if not allowed:
        assert snapshot(grid_world.sessions) == before[0]
    inbox = Inbox()
    with inbox_server(inbox) as port:
        channels_file(grid_world.settings.data_dir, port)
        test = client.post("/admin/channels/mail/test", data={"csrf_token": csrf})
    assert test.status_code == (303 if allowed else 403), test.text[:300]
    assert len(inbox.messages) == (1 if allowed else 0)


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_overview_is_for_college_wide_roles_and_others_are_sent_to_their_own_page(
    web: WebWorld, user: str
) -> None:
    client, _ = web.login(user)
    response = client.get("/")
    if user in COLLEGE:
        assert response.status_code == 200 and "U02" in response.text
    else:
        assert response.status_code == 303
        assert response.headers["location"] in ("/units/U01", "/units/U02", "/my")


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_api_task_list_holds_only_tasks_the_user_may_see(web: WebWorld, user: str) -> None:
    api = web.api(user)
    seen = set()
    for offset in range(0, 2000, 1000):
        page = api.get("/api/tasks", params={"limit": 1000, "offset": offset}).json()
        seen |= {t["id"] for t in page["items"]}
    for name in ("task_b1", "task_u01", "task_u02"):
        assert (web.ids[name] in seen) == (user in SEES[name]), name


def test_pages_and_api_refuse_anonymous_requests(web: WebWorld) -> None:
    assert web.client.get("/units/U01").status_code == 303
    assert web.client.get("/units/U01").headers["location"].startswith("/login?next=")
    assert web.client.get(f"/api/tasks/{web.ids['task_b1']}").status_code == 401
    bad = {"Authorization": "Bearer obl_guessed"}
    assert web.client.get("/api/tasks", headers=bad).status_code == 401


def test_principals_of_branch_secretaries_are_scoped_to_their_branch(web: WebWorld) -> None:
    from obligations.accounts.users import get_user

    with web.sessions() as db:
        principal = principal_of(db, get_user(db, "b1_secretary"))
    assert principal.branch_id == web.ids["B1"] and principal.unit_id == web.ids["U01"]


# The services themselves, called with each role's principal: a door that forgets to check
# still cannot write.

SERVICES = {
    "add to task": ("upload", ("task_b1", "task_u02")),
    "add standing": ("ledger notes", ("U01", "U02")),
    "withdraw": ("withdraw", ("rec_b1", "rec_u02")),
    "review": ("review", ("rec_b1", "rec_u02")),
    "waive": ("waive", ("task_b1", "task_u02")),
    "unwaive": ("unwaive", ("task_b1", "task_u02")),
    "set note": ("ledger notes", ("U01", "U02")),
    "set figures": ("ledger notes", ("U01", "U02")),
}
# A file as step 1 of the intake leaves it (this test is about who may record, not storage).
# Each call's content differs: the same file sent again to a task is refused as a double submit.
_DIGESTS = (f"{n:064x}" for n in itertools.count())


def minutes() -> StoredFile:
    return StoredFile(
        "会议记录.pdf", StoredBlob(next(_DIGESTS), 1, FileType.PDF, already_stored=False)
    )


SERVICE_CASES = [
    pytest.param(service, user, obj, id=f"{service}-{user}-{obj}")
    for service, (_, objects) in SERVICES.items()
    for user in sorted(USERS)
    for obj in objects
]


def run_service(web: WebWorld, service: str, principal: Principal, key: str) -> None:
    from tests.helpers import shipped_catalog

    catalog, policy = shipped_catalog(), EvidencePolicy(limits=UploadLimits(max_bytes=100_000))
    data = EvidenceInput(title="支部党员大会", held_on=date(2026, 10, 20))
    with web.sessions.begin() as db:
        if service == "add to task":
            records.add_to_task(db, policy, task_id=int(key), data=data, files=[minutes()],
                                by=principal, now=NOW)  # fmt: skip
        elif service == "add standing":
            target = StandingTarget(key, "6.2", 2026)
            records.add_standing(db, policy, catalog, target=target, data=data, by=principal,
                                 now=NOW)  # fmt: skip
        elif service == "withdraw":
            records.withdraw(db, record_id=int(key), reason="传错了", by=principal, now=NOW)
        elif service == "review":
            records.review(db, policy, record_id=int(key), accept=False, reason="不全",
                           by=principal, now=NOW)  # fmt: skip
        elif service == "waive":
            waivers.waive(db, task_id=int(key), reason="不适用", by=principal, now=NOW)
        elif service == "unwaive":
            waivers.unwaive(db, task_id=int(key), by=principal, now=NOW)
        elif service == "set note":
            notes.set_note(db, catalog, unit_code=key, item_id="2.3", year=2026,
                           narrative=f"已落实（{principal.username}）", measures=None,
                           by=principal, now=NOW)  # fmt: skip
        else:
            notes.set_figures(db, catalog, unit_code=key, year=2026,
                              values={"activists": str(principal.user_id)}, by=principal,
                              now=NOW)  # fmt: skip


@pytest.mark.parametrize(("service", "user", "obj"), SERVICE_CASES)
def test_every_mutating_service_checks_the_principal_itself(
    grid_world: WebWorld, service: str, user: str, obj: str
) -> None:
    action, _ = SERVICES[service]
    want = expected(Route(service, "POST", "", (obj,), action), user, obj)
    key = prepare(grid_world, action, obj, user)
    with grid_world.sessions() as db:
        principal = principal_of(db, get_user(db, user))
    before = snapshot(grid_world.sessions)
    refusal = {404: NotFound, 403: Forbidden}.get(want)
    if refusal is None:
        run_service(grid_world, service, principal, key)
        after = snapshot(grid_world.sessions)
        assert after.audit_entries == before.audit_entries + 1
        assert replace(after, audit_entries=before.audit_entries) != before, "nothing changed"
    else:
        with pytest.raises(refusal):
            run_service(grid_world, service, principal, key)
        assert snapshot(grid_world.sessions) == before
