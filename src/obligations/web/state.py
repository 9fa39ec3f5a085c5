"""What every request shares: the composition root (settings, database, catalog, evidence
store and policy, ledger template, reminder configuration, clock) and the web's own options."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from fastapi import Request

from obligations.accounts.throttle import ThrottlePolicy
from obligations.composition import Root
from obligations.rules.catalog import Catalog


@dataclass
class WebState(Root):
    """The root as the web app uses it, with its cookie and login-throttling options."""

    secure_cookies: bool = False
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)

    @property
    def catalog(self) -> Catalog:
        """The catalog pages serve: the data directory's, or, while it has errors, the last
        one that loaded (administrators see a banner naming the errors)."""
        return self.catalog_keeper.current()

    @cached_property
    def feed_key(self) -> bytes:
        """The key calendar feed addresses are derived with (read or made once)."""
        from obligations.accounts.feed_address import load_feed_key

        configured = self.settings.feed_key
        return load_feed_key(
            self.settings.data_dir, configured.get_secret_value() if configured else None
        )


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
