"""A person's channel addresses live in person_contact: migrated, imported, read as contacts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import person

from obligations.channels import Contact, ContactKind
from obligations.models import Person, PersonContact
from obligations.orgdata.service import import_path
from obligations.reminders.contacts import person_contacts
from obligations.schema import alembic_config, upgrade

NOW = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


def _migrate(engine: Engine, target: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if target == "head":
            command.upgrade(config, "heads")
        else:
            command.downgrade(config, target)


def test_the_migration_moves_wecom_user_ids_to_contacts_and_back(engine: Engine) -> None:
    _migrate(engine, "0009")
    with engine.begin() as connection:
        for code, userid in (("T1", "zhangsan"), ("T2", None), ("T3", "")):
            connection.execute(
                text(
                    "INSERT INTO person (code, name, wecom_userid, created_at, updated_at) "
                    "VALUES (:code, :code, :userid, :now, :now)"
                ),
                {"code": code, "userid": userid, "now": NOW.replace(tzinfo=None)},
            )
    upgrade(engine)
    assert "wecom_userid" not in {c["name"] for c in inspect(engine).get_columns("person")}
    with engine.connect() as connection:
        moved = connection.execute(
            text(
                "SELECT person.code, person_contact.kind, person_contact.address "
                "FROM person_contact JOIN person ON person.id = person_contact.person_id"
            )
        ).all()
    assert [tuple(row) for row in moved] == [("T1", "wecom_userid", "zhangsan")]

    _migrate(engine, "0009")
    with engine.connect() as connection:
        back = connection.execute(text("SELECT code, wecom_userid FROM person ORDER BY code"))
        assert [tuple(row) for row in back] == [("T1", "zhangsan"), ("T2", None), ("T3", None)]
    _migrate(engine, "head")


def _people_csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("code,name,email,mobile,wecom_userid\n" + body, encoding="utf-8")
    return path


def _stored(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(Person.code, PersonContact.kind, PersonContact.address)
            .join(PersonContact)
            .order_by(Person.code)
        )
        return [tuple(row) for row in rows]


def test_an_import_keeps_the_wecom_user_id_column_as_a_contact_and_updates_or_removes_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        import_path(session, _people_csv(tmp_path, "T1,张伟,,,zhangwei\nT2,李娜,,,\n"), now=NOW)
    assert _stored(sessions) == [("T1", "wecom_userid", "zhangwei")]

    with sessions.begin() as session:
        again = import_path(session, _people_csv(tmp_path, "T1,张伟,,,zhangwei\n"), now=NOW)
    assert again.changes == [] and again.unchanged["person"] == 1

    with sessions.begin() as session:
        changed = import_path(
            session, _people_csv(tmp_path, "T1,张伟,,,zw2\nT2,李娜,,,lina\n"), now=NOW
        )
    assert "更新 人员 T1 张伟：企业微信账号 zhangwei → zw2" in changed.changes
    assert "更新 人员 T2 李娜：企业微信账号 无 → lina" in changed.changes
    assert _stored(sessions) == [("T1", "wecom_userid", "zw2"), ("T2", "wecom_userid", "lina")]

    with sessions.begin() as session:
        cleared = import_path(session, _people_csv(tmp_path, "T1,张伟,,,\n"), now=NOW)
    assert cleared.changes == ["更新 人员 T1 张伟：企业微信账号 zw2 → 无"]
    assert _stored(sessions) == [("T2", "wecom_userid", "lina")]


def test_a_person_becomes_a_contact_with_their_email_mobile_and_channel_addresses(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        zhang = person(session, "T1", "张伟")
        zhang.email, zhang.mobile = "zhangwei@example.edu.cn", "13800000001"
        zhang.contacts.append(PersonContact(kind="wecom_userid", address="zhangwei"))
        zhang.contacts.append(PersonContact(kind="retired_channel_id", address="x"))
        li = person(session, "T2", "李娜")
        ids = (zhang.id, li.id)
    with sessions() as session:
        contacts = person_contacts(session, [*ids, 999])
    assert contacts == {
        ids[0]: Contact(
            "张伟",
            {
                ContactKind.EMAIL: ("zhangwei@example.edu.cn",),
                ContactKind.MOBILE: ("13800000001",),
                ContactKind.WECOM_USERID: ("zhangwei",),
            },
            label="张伟（T1）",
        ),
        ids[1]: Contact(
            "李娜", {ContactKind.EMAIL: (), ContactKind.MOBILE: ()}, label="李娜（T2）"
        ),
    }
