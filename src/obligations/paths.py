"""Where the shipped data (rule catalog, message templates, demo college) lives.

In a source checkout or an editable install the catalog sits at the top of the repository
(``calendar_rules/``, ``notifications/``) where a college reads and edits it; a built wheel
carries the same folders inside the package under ``_shipped/``. Hatchling's force-include is
not applied to editable installs, so both places are looked up, package first.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Return the shipped folder ``name`` (``calendar_rules`` or ``notifications``)."""
    inside = _PACKAGE_DIR / "_shipped" / name
    if inside.is_dir():
        return inside
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"shipped folder {name!r} not found in {inside} or {checkout}")


def demo_dir() -> Path:
    return _PACKAGE_DIR / "demo"
