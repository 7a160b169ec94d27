"""What the sign-in functions and the authorizers read from their environment (template.yaml)."""

from __future__ import annotations

from pydantic import PositiveInt

from portal_common.settings import Settings


class PoolSettings(Settings):
    """The portal's Cognito user pool and its app client."""

    user_pool_id: str
    user_pool_client_id: str


class SessionSettings(Settings):
    """Where sessions live, and how long they may last."""

    sessions_table: str
    session_idle_minutes: PositiveInt
    session_max_hours: PositiveInt

    @property
    def idle_seconds(self) -> int:
        return self.session_idle_minutes * 60

    @property
    def max_seconds(self) -> int:
        return self.session_max_hours * 3600
