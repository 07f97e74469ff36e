"""Where discord.py connects: DISCORD_API_URL and DISCORD_GATEWAY_URL, when they are not Discord's.

discord.py has no per-client setting for either address. Every REST call, including
interaction callbacks and webhook follow-ups, builds a `discord.http.Route`, whose URL is
`Route.BASE + path` read when the route is made; discord.py itself switches API versions by
assigning `Route.BASE` (`discord.http._set_api_version`). A plain `Client` opens the gateway
at `DiscordWebSocket.DEFAULT_GATEWAY` without asking `GET /gateway/bot` (only
`AutoShardedClient` asks), and falls back to it again when a session is invalidated; resumes
use the `resume_gateway_url` that READY gives. Assigning these two class attributes is
therefore the one way that covers every request.

So this module is the only place that touches them, and only when the settings name
another Discord than discord.py's own (the tests' fake, a proxy): with the default settings
discord.py is left exactly as it is. The override is process-wide, so adapters in one
process must agree on the addresses; the old values come back when the last adapter closes.
"""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


class Endpoints:
    """Counts the adapters using one pair of addresses; overrides discord.py's only if needed."""

    def __init__(self) -> None:
        self._users = 0
        self._current: tuple[str, str] | None = None
        self._saved: tuple[str, yarl.URL] | None = None

    def acquire(self, api_url: str, gateway_url: str) -> None:
        """Use these addresses until `release`.

        Raises:
            RuntimeError: another adapter in this process uses other addresses.
        """
        wanted = (api_url.rstrip("/"), gateway_url)
        if self._users and self._current != wanted:
            raise RuntimeError(
                "discord.py can only talk to one Discord per process; "
                f"already connected to {self._current[0] if self._current else '?'}"
            )
        if not self._users:
            current = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
            gateway = yarl.URL(gateway_url)
            if (wanted[0], gateway) != current:
                self._saved = current
                Route.BASE = wanted[0]
                DiscordWebSocket.DEFAULT_GATEWAY = gateway
            self._current = wanted
        self._users += 1

    def release(self) -> None:
        """One adapter is done; the last one puts discord.py's own addresses back."""
        self._users -= 1
        if self._users == 0:
            if self._saved is not None:
                Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = self._current = None


ENDPOINTS = Endpoints()
"""The one per process, since what it overrides is."""
