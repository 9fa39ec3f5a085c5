"""Click option helpers shared by commands."""

from __future__ import annotations

from datetime import date

import click


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Option callback turning ``YYYY-MM-DD`` into a date, refusing anything else clearly."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} 不是有效日期，格式应为 YYYY-MM-DD（例如 2026-07-31）"
        ) from None
