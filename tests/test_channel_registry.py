"""The channel registry and the contract every channel keeps; the core never asks a kind."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import httpx
import pytest

from obligations.channels import (
    CHANNELS,
    Channel,
    ChannelConfig,
    ChannelKind,
    Contact,
    ContactKind,
    EmailConfig,
    RobotChannel,
    build_channel,
    channel_class,
    parse_channel_config,
)
from obligations.reminders.config import AdminContacts, ReminderConfig

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "obligations"

# One valid stored config per kind: a kind added to the registry must be added here too.
STORED = {
    ChannelKind.EMAIL: {"kind": "email", "host": "smtp.example.edu.cn", "from_address": "a@b.cn"},
    ChannelKind.WECOM: {"kind": "wecom", "key": "k"},
    ChannelKind.DINGTALK: {"kind": "dingtalk", "access_token": "t"},
    ChannelKind.FEISHU: {"kind": "feishu", "hook_id": "h"},
}
NOBODY = Contact("无名")
EVERYTHING = Contact(
    "张三",
    {kind: (f"{kind.value}-address",) for kind in ContactKind},
    label="张三（T0001）",
)


def test_every_kind_has_exactly_one_registered_class_that_says_it_is_that_kind() -> None:
    assert set(CHANNELS) == set(ChannelKind) == set(STORED)
    for kind, cls in CHANNELS.items():
        assert cls.kind is kind
        assert cls.config_class.model_fields["kind"].default is kind


def test_the_config_union_holds_exactly_the_registered_config_classes() -> None:
    union = typing.get_args(ChannelConfig)[0]
    assert set(typing.get_args(union)) == {cls.config_class for cls in CHANNELS.values()}


@pytest.mark.parametrize("kind", list(ChannelKind))
def test_each_stored_config_builds_a_channel_of_its_registered_class(kind: ChannelKind) -> None:
    config = parse_channel_config(STORED[kind])
    assert isinstance(config, CHANNELS[kind].config_class)
    assert channel_class(config) is CHANNELS[kind]
    with httpx.Client() as client, build_channel(config, http_client=client) as channel:
        assert type(channel) is CHANNELS[kind]
        assert channel.kind is kind


@pytest.mark.parametrize("kind", list(ChannelKind))
def test_a_channel_refuses_to_be_built_from_another_channels_config(kind: ChannelKind) -> None:
    other = next(k for k in ChannelKind if k is not kind)
    with pytest.raises(TypeError):
        CHANNELS[kind].build(parse_channel_config(STORED[other]))


def test_email_reaches_only_a_contact_with_an_email_address_and_says_who_lacks_one() -> None:
    email = CHANNELS[ChannelKind.EMAIL]
    assert email.reaches(EVERYTHING)
    assert email.reaches(Contact("李四", {ContactKind.EMAIL: ("lisi@example.edu.cn",)}))
    assert not email.reaches(Contact("李四", {ContactKind.MOBILE: ("13800000000",)}))
    assert not email.reaches(Contact("李四", {ContactKind.EMAIL: ("",)}))
    assert email.unreachable(Contact("李四", label="李四（T0002）")) == "李四（T0002）没有邮箱地址"


@pytest.mark.parametrize("kind", [k for k in ChannelKind if issubclass(CHANNELS[k], RobotChannel)])
def test_a_group_robot_reaches_every_contact_even_one_without_any_address(
    kind: ChannelKind,
) -> None:
    assert CHANNELS[kind].reaches(NOBODY) and CHANNELS[kind].unreachable(NOBODY) is None


def test_the_administrators_are_reached_by_email_only_when_they_list_an_address() -> None:
    channels = {"mail": parse_channel_config(STORED[ChannelKind.EMAIL])}
    channels |= {"robot": parse_channel_config(STORED[ChannelKind.WECOM])}
    admins = AdminContacts(channels=["mail", "robot"])
    config = ReminderConfig(channels=channels, admins=admins)
    assert not config.reaches_admins("mail") and config.reaches_admins("robot")
    listed = admins.model_copy(update={"emails": ["zzb@example.edu.cn"]})
    assert config.model_copy(update={"admins": listed}).reaches_admins("mail")


def _channel_names() -> set[str]:
    names = {"ChannelKind", "RobotChannel", "RobotConfig"}
    for cls in CHANNELS.values():
        names |= {cls.__name__, cls.config_class.__name__}
    return names


def test_no_module_outside_the_channels_package_names_a_particular_channel() -> None:
    # isinstance on a channel's config or class, a comparison with a kind, or an import of one
    # channel's module: each would be channel knowledge in the core.
    names = "|".join(sorted(_channel_names()))
    kinds = "|".join(kind.name for kind in ChannelKind)
    patterns = [
        re.compile(rf"isinstance\([^)]*\b({names})\b"),
        re.compile(r"\b(EmailConfig|WeComConfig|DingTalkConfig|FeishuConfig|SmtpSecurity)\b"),
        re.compile(rf"\bChannelKind\.({kinds})\b"),
        re.compile(r"obligations\.channels\.(email|wecom|dingtalk|feishu|robot)\b"),
    ]
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "channels" not in path.relative_to(PACKAGE).parts[:1]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(pattern.search(line) for pattern in patterns)
    ]
    assert found == []


def test_the_grep_for_channel_knowledge_would_catch_an_isinstance_on_a_config() -> None:
    names = "|".join(sorted(_channel_names()))
    pattern = re.compile(rf"isinstance\([^)]*\b({names})\b")
    assert pattern.search("is_email = isinstance(config, EmailConfig)")
    assert pattern.search("if isinstance(channel, WeComChannel):")
    assert issubclass(CHANNELS[ChannelKind.EMAIL], Channel)
    assert EmailConfig is CHANNELS[ChannelKind.EMAIL].config_class
