"""discord.py's addresses are overridden only for another Discord, and put back after."""

from __future__ import annotations

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord.endpoints import Endpoints
from bot.settings import Settings


def test_discords_own_addresses_leave_discord_py_untouched() -> None:
    settings = Settings()
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    endpoints = Endpoints()
    endpoints.acquire(settings.discord_api_url, settings.discord_gateway_url)
    assert Route.BASE is base and DiscordWebSocket.DEFAULT_GATEWAY is gateway
    endpoints.release()
    assert Route.BASE is base and DiscordWebSocket.DEFAULT_GATEWAY is gateway


def test_another_discord_is_used_until_the_last_adapter_closes() -> None:
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    endpoints = Endpoints()
    endpoints.acquire("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/")
    endpoints.acquire("http://127.0.0.1:9/api/v10", "ws://127.0.0.1:9/")
    assert Route.BASE == "http://127.0.0.1:9/api/v10"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/"
    with pytest.raises(RuntimeError, match="one Discord per process"):
        endpoints.acquire("http://127.0.0.1:8/api/v10", "ws://127.0.0.1:8/")
    endpoints.release()
    assert Route.BASE == "http://127.0.0.1:9/api/v10"
    endpoints.release()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == (base, gateway)
