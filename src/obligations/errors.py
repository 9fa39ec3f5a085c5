"""Errors the service layer raises for the edges to report. Messages are Simplified Chinese."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: a request the service refuses, with a message a user can act on."""


class NotFound(ServiceError):
    pass


class InvalidRequest(ServiceError):
    pass
