"""The web dashboard and JSON API (FastAPI, server-rendered Jinja2 pages)."""

from obligations.web.app import create_app

__all__ = ["create_app"]
