"""The configuration a data directory holds besides its database and evidence, in a backup.

A restore that brought back only the database and the evidence would lose what a college set
up by hand: the calendar feed key (without it every subscription address changes), the reminder
channels with their robot keys and mail password, the rule catalog's local overrides (holidays,
the ledger's Word template) and the overridden message templates. These are, relative to the
data directory:

- ``calendar-feed.key`` (:mod:`obligations.accounts.feed_address`; absent when the key is set
  with ``OBLIGATIONS_FEED_KEY``, which the operator keeps);
- ``channels.yaml`` (:mod:`obligations.reminders.config`: the file in force, also when
  ``OBLIGATIONS_CHANNELS_FILE`` points elsewhere; restored as the data directory's own);
- every file under ``calendar_rules/`` (catalog overrides, ``holidays.yaml``,
  ``ledger-template.docx``) and under ``notifications/`` (message templates).

Not the database file (snapshotted), the evidence store (copied object by object), ``tmp/``
or lock files. Hidden files and editor backups (``.x.swp``, ``x~``) are left out. Settings
come from the environment only: there is no settings file to keep.

In a backup each file is the member ``config/<relative path>``; restore accepts only names of
this set, each path part a plain name (no ``..``, no hidden part, at most 255 bytes), and
writes the two secret files with mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from obligations.accounts.feed_address import KEY_FILE
from obligations.archivenames import MAX_COMPONENT_BYTES, utf8_length

CONFIG = "config"
CHANNELS_FILE = "channels.yaml"  # as obligations.reminders.config names it (a sibling layer)
SECRET_FILES = frozenset({KEY_FILE, CHANNELS_FILE})
FOLDERS = ("calendar_rules", "notifications")
_MAX_DEPTH = 8  # folders below calendar_rules/ or notifications/, far more than any catalog


@dataclass(frozen=True)
class ConfigFile:
    """A configuration file to back up: ``name`` its relative path in the data directory
    (POSIX separators), ``source`` where it is read from now."""

    name: str
    source: Path

    @property
    def member(self) -> str:
        return f"{CONFIG}/{self.name}"


def config_files(data_dir: Path, *, channels_file: Path | None = None) -> list[ConfigFile]:
    """The configuration files of ``data_dir`` that exist, sorted by name. ``channels_file``
    is the reminder configuration in force (default: the data directory's ``channels.yaml``)."""
    found = [ConfigFile(KEY_FILE, data_dir / KEY_FILE)]
    found.append(ConfigFile(CHANNELS_FILE, channels_file or data_dir / CHANNELS_FILE))
    for folder in FOLDERS:
        root = data_dir / folder
        if root.is_dir():
            found += [
                ConfigFile(path.relative_to(data_dir).as_posix(), path)
                for path in root.rglob("*")
                if path.is_file() and is_config_name(path.relative_to(data_dir).as_posix())
            ]
    return sorted((f for f in found if f.source.is_file()), key=lambda f: f.name)


def is_config_name(name: str) -> bool:
    """Whether ``name`` (relative to the data directory) may be restored as configuration:
    one of the two files, or a plain path under one of the folders."""
    if name in SECRET_FILES:
        return True
    parts = name.split("/")
    return (
        parts[0] in FOLDERS
        and 2 <= len(parts) <= _MAX_DEPTH + 2
        and all(_plain(part) for part in parts[1:])
    )


def is_config_member(member: str) -> bool:
    """Whether a backup member name is ``config/`` followed by a configuration name."""
    head, slash, rest = member.partition("/")
    return head == CONFIG and bool(slash) and is_config_name(rest)


def _plain(part: str) -> bool:
    return (
        bool(part)
        and not part.startswith(".")
        and not part.endswith("~")
        and "\\" not in part
        and "\0" not in part
        and utf8_length(part) <= MAX_COMPONENT_BYTES
    )


def place_config(staging: Path) -> list[str]:
    """Move the extracted ``staging/config/`` tree into ``staging`` itself (the future data
    directory), the secret files made readable by their owner only; the names placed, sorted.
    Members were checked with :func:`is_config_member` on extraction."""
    extracted = staging / CONFIG
    if not extracted.is_dir():
        return []
    placed = sorted(
        path.relative_to(extracted).as_posix() for path in extracted.rglob("*") if path.is_file()
    )
    for name in placed:
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(extracted / name, target)
        os.chmod(target, 0o600 if name in SECRET_FILES else 0o644)
    for folder in sorted(extracted.rglob("*"), reverse=True):  # deepest first: all empty now
        folder.rmdir()
    extracted.rmdir()
    return placed
