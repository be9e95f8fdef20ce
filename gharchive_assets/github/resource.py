"""GitHub's REST API as the star-history asset uses it.

The token is read from ``GITHUB_TOKEN`` when a run asks, never kept in the
resource's config (which the UI shows) or in settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import dagster as dg

from gharchive_assets.core.settings import DEFAULT_GITHUB_API_URL
from gharchive_assets.github.star_history import StarHistoryClient

TOKEN_VARIABLE = "GITHUB_TOKEN"


class GitHubResource(dg.ConfigurableResource):
    api_url: str = DEFAULT_GITHUB_API_URL
    """GITHUB_API_URL: GitHub's REST API, or a server answering like it."""
    max_wait_seconds: float = 3600.0
    """The longest a run waits for rate limits in all before it stops (what it
    fetched is kept; the next run resumes). An hour covers the primary limit's window."""
    refresh_hours: float = 20.0
    """A repository asked within this many hours is not asked again."""

    @property
    def has_token(self) -> bool:
        return bool(os.environ.get(TOKEN_VARIABLE, "").strip())

    def client(self, log: Callable[[str], None]) -> StarHistoryClient:
        return StarHistoryClient(
            self.api_url,
            os.environ[TOKEN_VARIABLE].strip(),
            max_wait_seconds=self.max_wait_seconds,
            log=log,
        )
