"""People as the channels see them: a name and their addresses by kind.

A person's email and mobile are general person data (``person`` columns); addresses that only
one channel uses (a WeCom user id) are ``person_contact`` rows. Which of them a channel uses is
the channel's business (:meth:`obligations.channels.Channel.unreachable`), never checked here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.channels import Contact, ContactKind
from obligations.models import Person, PersonContact
from obligations.sql_lists import id_in


def person_contacts(session: Session, person_ids: Collection[int]) -> dict[int, Contact]:
    """The contacts of the people in ``person_ids`` that exist, by person id (two queries).

    Contact kinds the channels no longer know are left out.
    """
    if not person_ids:
        return {}
    extra: dict[int, dict[ContactKind, tuple[str, ...]]] = defaultdict(dict)
    known = {kind.value for kind in ContactKind}
    rows = session.execute(
        select(PersonContact.person_id, PersonContact.kind, PersonContact.address).where(
            id_in(session, PersonContact.person_id, person_ids)
        )
    )
    for person_id, kind, address in rows:
        if kind in known:
            extra[person_id][ContactKind(kind)] = (address,)
    people = session.execute(
        select(Person.id, Person.code, Person.name, Person.email, Person.mobile).where(
            id_in(session, Person.id, person_ids)
        )
    )
    return {
        person_id: Contact(
            name,
            {
                ContactKind.EMAIL: (email,) if email else (),
                ContactKind.MOBILE: (mobile,) if mobile else (),
                **extra.get(person_id, {}),
            },
            label=f"{name}（{code}）",
        )
        for person_id, code, name, email, mobile in people
    }
