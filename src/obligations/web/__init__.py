"""The web dashboard and JSON API (FastAPI, server-rendered Jinja2 pages)."""

from obligations.web.app import app_from_environment, create_app

__all__ = ["app_from_environment", "create_app"]
