"""The SSRF policy on its own, and fetches it refuses: nothing here opens a connection.

Refused fetches run through a transport that fails the test if it is ever asked to connect,
so even a broken policy sends nothing anywhere.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from bot.intake.address import AddressRefused, check_host, refusal
from bot.intake.errors import IntakeError
from bot.intake.fetch import _GuardedBackend, fetch


def _no_connection(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the transport was asked to connect to {request.url}")


REFUSING = httpx.MockTransport(_no_connection)


def _resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.7", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_internal_addresses_are_refused(address: str, reason: str) -> None:
    found = refusal(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ["93.184.216.34", "151.101.1.69", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_a_name_is_refused_if_any_of_its_addresses_is_internal() -> None:
    resolve = _resolver({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(AddressRefused, match="private address"):
        check_host("mixed.example", 80, allow_private=False, resolve=resolve)


def test_allow_private_lets_internal_addresses_through() -> None:
    resolve = _resolver({"intranet.example": ["10.0.0.5"]})
    assert check_host("intranet.example", 80, allow_private=True, resolve=resolve) == ["10.0.0.5"]


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(AddressRefused, match="could not be found"):
        check_host("nowhere.example", 80, allow_private=False, resolve=_resolver({}))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1/admin", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]:8080/", "loopback"),
        # A DNS name resolving to 127.0.0.1 (the resolver is injected: no lookup is made).
        ("http://localtest.example/news", "loopback"),
    ],
)
def test_fetching_an_internal_address_is_refused_without_connecting(url: str, words: str) -> None:
    resolve = _resolver({"localtest.example": ["127.0.0.1"]})
    with pytest.raises(IntakeError, match=words) as refused:
        fetch(url, allow_private=False, timeout=5, max_bytes=10_000, resolve=resolve,
              transport=REFUSING)  # fmt: skip
    assert "CASEBOT_FETCH_PRIVATE" in str(refused.value)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://files.example/a.pdf", "gopher://x.example/", "javascript:alert(1)"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(IntakeError, match="http:// or https://"):
        fetch(url, allow_private=False, timeout=5, max_bytes=10_000, transport=REFUSING)


def test_a_redirect_to_an_internal_address_is_refused_before_it_is_followed() -> None:
    asked: list[str] = []

    def public_then_redirect(request: httpx.Request) -> httpx.Response:
        # Only ever the first hop's host; the mock answers for it, nothing is sent anywhere.
        asked.append(request.url.host)
        assert request.url.host == "public.example"
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    resolve = _resolver({"public.example": ["93.184.216.34"]})
    with pytest.raises(IntakeError, match="cloud metadata"):
        fetch("https://public.example/story", allow_private=False, timeout=5, max_bytes=10_000,
              resolve=resolve, transport=httpx.MockTransport(public_then_redirect))  # fmt: skip
    assert asked == ["public.example"]


def test_the_transport_checks_the_address_again_when_it_connects() -> None:
    # DNS rebinding: public when checked, loopback when connected. The name is "localhost",
    # so even a broken guard could only ever reach this machine.
    backend = _GuardedBackend(
        allow_private=False, resolve=_resolver({"localhost": ["127.0.0.1"]})
    )
    with pytest.raises(AddressRefused, match="loopback"):
        backend.connect_tcp("localhost", 9, timeout=1)
