"""The configured channels: building them, their health, and who uses which.

A channel that fails permanently is marked broken (with the reason, shown to administrators by
``obligations channels list``); its items wait. It works again when a test message goes through
(``obligations channels test NAME``) or as soon as its configuration in ``channels.yaml``
changes: the broken mark remembers the digest of the configuration that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from obligations.channels import Channel, ChannelConfig, ChannelKind, build_channel
from obligations.channels.pacing import SendLog
from obligations.errors import InvalidRequest, NotFound
from obligations.models import ChannelHealth, Organization, OrganizationChannel
from obligations.models.reminders import ReminderItem
from obligations.reminders.config import ReminderConfig, config_digest
from obligations.sql_lists import upsert
from obligations.vocabulary import ItemState


def build_channels(
    config: ReminderConfig,
    *,
    http_client: httpx.Client | None = None,
    send_logs: Callable[[str], SendLog] | None = None,
) -> dict[str, Channel]:
    """One channel instance per configured name (reuse them: robots pace their sends), each
    pacing its sends in ``send_logs(name)`` when given (every process's channels of one name
    then share one log)."""
    return {
        name: build_channel(
            channel,
            http_client=http_client,
            send_log=send_logs(name) if send_logs is not None else None,
        )
        for name, channel in config.channels.items()
    }


def close_channels(channels: Mapping[str, Channel]) -> None:
    for channel in channels.values():
        channel.close()


def broken_channels(session: Session, config: ReminderConfig) -> dict[str, str]:
    """Name -> reason, for channels broken under their current configuration."""
    broken: dict[str, str] = {}
    for health in session.scalars(
        select(ChannelHealth).where(ChannelHealth.broken_at.is_not(None))
    ):
        channel = config.channels.get(health.name)
        if channel is not None and health.config_digest == config_digest(channel):
            broken[health.name] = health.broken_reason or ""
    return broken


def mark_broken(
    session: Session, name: str, channel: ChannelConfig, reason: str, now: datetime
) -> None:
    """Record that ``name`` failed permanently under ``channel``'s configuration."""
    _record_health(
        session,
        name,
        broken_at=now,
        broken_reason=reason,
        config_digest=config_digest(channel),
        updated_at=now,
    )


def mark_working(session: Session, name: str, now: datetime) -> None:
    """Record that a message went through on ``name``: no longer broken."""
    _record_health(
        session,
        name,
        broken_at=None,
        broken_reason=None,
        config_digest=None,
        last_ok_at=now,
        updated_at=now,
    )


def _record_health(session: Session, name: str, **values: object) -> None:
    """Create or update ``name``'s health row in one statement: several workers may report the
    same channel at once, and a read-then-insert would let the second one fail on the key."""
    session.execute(
        upsert(session, ChannelHealth, {"name": name, **values}, key="name", update=values)
    )


def assign_channels(
    session: Session, org_code: str, names: Sequence[str], config: ReminderConfig
) -> None:
    """Reach ``org_code``'s people on ``names`` (in that order); none: back to the defaults."""
    org = session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise NotFound(f"没有编号为 {org_code} 的组织")
    unknown = [n for n in names if n not in config.channels]
    if unknown:
        known = "、".join(config.channels) or "（无）"
        raise InvalidRequest(f"未定义的渠道：{'、'.join(unknown)}；channels.yaml 中有：{known}")
    session.execute(
        delete(OrganizationChannel).where(OrganizationChannel.organization_id == org.id)
    )
    for position, name in enumerate(dict.fromkeys(names)):
        session.add(OrganizationChannel(organization_id=org.id, channel=name, position=position))


@dataclass(frozen=True)
class ChannelView:
    name: str
    kind: ChannelKind | None  # None: items name a channel that is no longer configured
    default: bool
    admins: bool
    organizations: tuple[str, ...]
    pending: int
    failed: int
    broken_reason: str | None
    last_ok_at: datetime | None


def list_channels(session: Session, config: ReminderConfig) -> list[ChannelView]:
    broken = broken_channels(session, config)
    health = {h.name: h for h in session.scalars(select(ChannelHealth))}
    counts: dict[tuple[str, ItemState], int] = {
        (channel, state): count
        for channel, state, count in session.execute(
            select(ReminderItem.channel, ReminderItem.state, func.count())
            .where(ReminderItem.state.in_([ItemState.PENDING, ItemState.FAILED]))
            .group_by(ReminderItem.channel, ReminderItem.state)
        )
    }
    orgs: dict[str, list[str]] = {}
    rows = session.execute(
        select(OrganizationChannel.channel, Organization.code)
        .join(Organization, Organization.id == OrganizationChannel.organization_id)
        .order_by(Organization.code)
    )
    for name, code in rows:
        orgs.setdefault(name, []).append(code)
    names = list(config.channels) + sorted({c for c, _ in counts} - set(config.channels))
    return [
        ChannelView(
            name=name,
            kind=config.channels[name].kind if name in config.channels else None,
            default=name in config.defaults,
            admins=name in config.admins.channels,
            organizations=tuple(orgs.get(name, ())),
            pending=counts.get((name, ItemState.PENDING), 0),
            failed=counts.get((name, ItemState.FAILED), 0),
            broken_reason=broken.get(name),
            last_ok_at=health[name].last_ok_at if name in health else None,
        )
        for name in names
    ]
