"""The web dashboard and JSON API (FastAPI, server-rendered Jinja2 pages)."""

from obligations.web.app import app_from_environment, create_app, settle_heap

__all__ = ["app_from_environment", "create_app", "settle_heap"]
