"""What every request shares: the composition root (settings, database, catalog, evidence
store and policy, ledger template, reminder configuration, clock) and the web's own options."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from obligations.accounts.throttle import ThrottlePolicy
from obligations.composition import Root


@dataclass
class WebState(Root):
    """The root as the web app uses it, with its cookie and login-throttling options."""

    secure_cookies: bool = False
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
