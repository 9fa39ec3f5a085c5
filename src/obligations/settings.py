"""Deployment settings (pydantic-settings): data directory, database URL, upload limits.

There is no time-zone setting: local dates are always :data:`obligations.timeutil.LOCAL_TZ`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from obligations.paths import shipped_dir
from obligations.vocabulary import FileType


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OBLIGATIONS_", extra="ignore")

    data_dir: Path = Field(default=Path("obligations-data"))
    database_url: str | None = None
    due_soon_days: int = Field(default=7, ge=0, le=366)
    generate_ahead_days: int = Field(default=90, ge=1, le=3660)
    # Evidence: the organization department and unit managers review records unless a deployment
    # turns it off.
    review_enabled: bool = True
    max_upload_mb: int = Field(default=50, ge=1, le=10240)
    allowed_file_types: list[str] = Field(
        default=["pdf", "docx", "xlsx", "doc", "xls", "jpg", "png", "heic", "mp4", "zip"]
    )

    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or
    # networks, comma-separated (e.g. "127.0.0.1" for nginx on the same machine). Empty: the
    # peer's own address is the client's, whatever headers it sends.
    trusted_proxies: str = ""
    # Session cookies only over HTTPS (set when the server sits behind an HTTPS proxy);
    # `serve --secure-cookies` sets it too.
    secure_cookies: bool = False
    # The key calendar feed addresses are derived with (32 characters or more). Unset: a key
    # file made once in the data directory (see obligations.accounts.feed_address). Changing
    # it changes every user's feed address.
    feed_key: SecretStr | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"受信任的代理应为 IP 地址或网段（如 127.0.0.1、10.0.0.0/8），而不是 {entry!r}"
                ) from None
        return ",".join(entries)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The proxies of ``trusted_proxies`` one by one (no entry: trust none)."""
        return self.trusted_proxies.split(",") if self.trusted_proxies else []

    @field_validator("feed_key")
    @classmethod
    def _long_feed_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("日历订阅密钥（OBLIGATIONS_FEED_KEY）至少需要 32 个字符")
        return value

    @field_validator("allowed_file_types")
    @classmethod
    def _known_file_types(cls, value: list[str]) -> list[str]:
        known = [t.value for t in FileType]
        for name in value:
            if name.lower() not in known:
                raise ValueError(f"未知的文件类型 {name!r}；可选：{'、'.join(known)}")
        if not value:
            raise ValueError("至少允许一种文件类型")
        return [v.lower() for v in value]

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'obligations.sqlite3').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def rules_dirs(self) -> list[Path]:
        """Catalog folders, later ones overriding earlier ones file by file.

        The shipped catalog comes first; a ``calendar_rules/`` folder in the data directory
        replaces any shipped file of the same relative path and adds new ones.
        """
        dirs = [shipped_dir("calendar_rules")]
        if self.local_rules_dir.is_dir():
            dirs.append(self.local_rules_dir)
        return dirs

    @property
    def local_rules_dir(self) -> Path:
        """The data directory's ``calendar_rules/``, where a college edits its catalog (whether
        it exists yet or not): a file here overrides the shipped file of the same name."""
        return self.data_dir / "calendar_rules"
