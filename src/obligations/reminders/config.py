"""Reminder settings of a deployment: ``channels.yaml`` in the data directory.

The file names the channels (email and group robots, with their secrets), the channels people
are reached on by default, the organization department's contacts (the administrators who
receive escalations and reports of tasks nobody can be reminded of) and the sending time.
Which channels one organization uses is stored in the database (``obligations channels assign``).
``OBLIGATIONS_CHANNELS_FILE`` points to another file. A missing file means "no channels": tasks
are planned and kept until a channel is configured, nothing is sent.

Example::

    send_at: "09:00"                  # local time of the daily sending run (working days only)
    dashboard_url: https://dangjian.example.edu.cn
    channels:
      mail: {kind: email, host: smtp.example.edu.cn, security: ssl,
             username: dangjian, password: "...", from_address: dangjian@example.edu.cn}
      wecom-u01: {kind: wecom, key: "..."}
    defaults: [mail]
    admins: {name: 党委组织部, emails: [zzb@example.edu.cn], channels: [mail]}
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from obligations.channels import ChannelConfig, Contact, ContactKind, channel_class
from obligations.errors import ServiceError
from obligations.rules.problems import problems_from_validation
from obligations.yamlsource import YamlSyntaxError, load_yaml

CHANNELS_FILE = "channels.yaml"
CHANNELS_FILE_ENV = "OBLIGATIONS_CHANNELS_FILE"

ChannelName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdminContacts(_Strict):
    """The organization department: escalations after M days and orphaned tasks go here."""

    name: str = "党委组织部"
    emails: list[str] = []
    mobiles: list[str] = []  # mentioned in robot messages
    channels: list[ChannelName] = []

    @property
    def contact(self) -> Contact:
        """The administrators as one contact, with every address they listed."""
        addresses = {ContactKind.EMAIL: tuple(self.emails), ContactKind.MOBILE: tuple(self.mobiles)}
        return Contact(self.name, addresses, label="管理员（channels.yaml 的 admins）")


class ReminderConfig(_Strict):
    send_at: time = time(9, 0)
    # Items not sent by then (a channel was down) wait for the next working day's run.
    send_until: time = time(21, 0)
    dashboard_url: str = "http://localhost:8000"
    # A task first seen more than this many days after its due date is not reminded of:
    # the first run on an existing database must not flood anyone with old history.
    lookback_days: int = Field(default=45, ge=1, le=3660)
    lease_minutes: int = Field(default=10, ge=1, le=1440)
    sweep_every_minutes: int = Field(default=5, ge=1, le=1440)
    channels: dict[ChannelName, ChannelConfig] = {}
    defaults: list[ChannelName] = []
    admins: AdminContacts = AdminContacts()

    @model_validator(mode="after")
    def _known_channels(self) -> Self:
        if self.send_until <= self.send_at:
            raise ValueError("send_until 必须晚于 send_at")
        for where, names in (
            ("defaults", self.defaults),
            ("admins.channels", self.admins.channels),
        ):
            for name in names:
                if name not in self.channels:
                    raise ValueError(f"{where} 中的渠道 {name!r} 未在 channels 中定义")
        return self

    def reaches_admins(self, name: str) -> bool:
        """Whether channel ``name`` can carry a message to the administrators."""
        return name in self.admins.channels and (
            channel_class(self.channels[name]).reaches(self.admins.contact)
        )


class ReminderConfigInvalid(ServiceError):
    pass


def config_path(data_dir: Path) -> Path:
    configured = os.environ.get(CHANNELS_FILE_ENV)
    return Path(configured) if configured else data_dir / CHANNELS_FILE


def load_reminder_config(data_dir: Path) -> ReminderConfig:
    """The deployment's reminder settings; raises :class:`ReminderConfigInvalid` naming the
    file, line and field of every problem."""
    path = config_path(data_dir)
    if not path.is_file():
        return ReminderConfig()
    try:
        doc = load_yaml(path)
    except YamlSyntaxError as exc:
        raise ReminderConfigInvalid(str(exc)) from exc
    try:
        return ReminderConfig.model_validate(doc.data or {})
    except ValidationError as exc:
        problems = problems_from_validation(doc, exc)
        raise ReminderConfigInvalid(
            "提醒渠道配置有误：\n" + "\n".join(str(p) for p in problems)
        ) from exc


def config_digest(config: ChannelConfig) -> str:
    """A digest of a channel's whole configuration, secrets included (never shown)."""
    values: dict[str, Any] = {
        key: value.get_secret_value() if isinstance(value, SecretStr) else value
        for key, value in config.model_dump().items()
    }
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
