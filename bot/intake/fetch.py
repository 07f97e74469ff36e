"""Fetching a URL for `casebot add`: bounded in time, size and redirects, checked at each hop.

Redirects are followed here, one at a time, not by httpx, so that every hop's scheme and
address are checked again (a public page may redirect to 169.254.169.254). The transport
checks the address once more at connect time and connects to the address it checked, so a
name that resolves differently the second time (DNS rebinding) gets no further.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from bot import __version__
from bot.intake.address import Resolver, check_host, system_resolver
from bot.intake.errors import IntakeError

# What a news article or a filing is served as; anything else (images, JSON, archives) is
# not something casebot can quote.
CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "text",
}
MAX_REDIRECTS = 5
# httpx logs each request's URL at INFO: a URL someone pasted, in casebot's log. The refusal
# reply says what happened; the log keeps to casebot's own lines.
logging.getLogger("httpx").setLevel(logging.WARNING)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {
    "User-Agent": f"casebot/{__version__} (adds a news article to a case corpus)",
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8",
}


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a URL served: the final URL after redirects, its kind, charset and bytes."""

    url: str
    kind: str  # a value of CONTENT_TYPES
    charset: str | None
    body: bytes


def fetch(
    url: str,
    *,
    allow_private: bool,
    timeout: float,
    max_bytes: int,
    resolve: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET `url`, following at most MAX_REDIRECTS redirects, each checked like the first.

    Args:
        url: an http:// or https:// URL.
        allow_private: CASEBOT_FETCH_PRIVATE: loopback and private addresses allowed.
        timeout: seconds for each of connecting and reading, and for the whole body.
        max_bytes: the largest body accepted.
        resolve: the resolver the address checks use (tests inject one).
        transport: the httpx transport (tests pass one that refuses every connection);
            default: one that checks the address again when it connects.

    Raises:
        IntakeError: for every refusal, with one sentence saying why.
    """
    transport = transport or GuardedTransport(allow_private=allow_private, resolve=resolve)
    seen: set[str] = set()
    with httpx.Client(
        transport=transport,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        # A proxy from the environment would make the address checks check the wrong host.
        trust_env=False,
        headers=_HEADERS,
    ) as client:
        current = _checked_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            seen.add(str(current))
            check_host(current.host, _port(current), allow_private=allow_private, resolve=resolve)
            try:
                with client.stream("GET", current) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        following = _checked_url(str(current.join(location)))
                        if str(following) in seen:
                            raise IntakeError(
                                f"{_short(url)} redirects in a loop (back to "
                                f"{_short(str(following))})."
                            )
                        current = following
                        continue
                    return _read(response, timeout=timeout, max_bytes=max_bytes)
            except httpx.TimeoutException:
                raise IntakeError(
                    f"{_short(str(current))} did not answer within {timeout:g} seconds."
                ) from None
            except httpx.HTTPError as error:
                raise IntakeError(
                    f"{_short(str(current))} could not be fetched ({type(error).__name__})."
                ) from None
    raise IntakeError(f"{_short(url)} redirects more than {MAX_REDIRECTS} times.")


def _read(response: httpx.Response, *, timeout: float, max_bytes: int) -> Fetched:
    where = _short(str(response.url))
    status = response.status_code
    if status >= 400:
        reason = response.reason_phrase or ("client error" if status < 500 else "server error")
        raise IntakeError(f"{where} answered {status} {reason}: there is no page to add.")
    if status != 200:
        raise IntakeError(f"{where} answered {status}, not a page (200).")
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    kind = CONTENT_TYPES.get(media)
    if kind is None:
        allowed = ", ".join(CONTENT_TYPES)
        raise IntakeError(
            f"{where} is {_short(media, 60) or 'of no stated type'}, which casebot cannot add "
            f"(it adds {allowed})."
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise IntakeError(f"{where} is {int(declared):,} bytes; casebot adds at most {max_bytes:,}.")
    body = bytearray()
    deadline = time.monotonic() + timeout
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise IntakeError(f"{where} is more than {max_bytes:,} bytes; casebot adds at most that.")
        if time.monotonic() > deadline:
            # A server dripping bytes would never trip the read timeout.
            raise IntakeError(f"{where} took longer than {timeout:g} seconds to send.")
    return Fetched(
        url=str(response.url), kind=kind, charset=response.charset_encoding, body=bytes(body)
    )


def _checked_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text.strip())
    except (httpx.InvalidURL, TypeError):
        raise IntakeError(f"{_short(text)} is not a valid URL.") from None
    if url.scheme not in ("http", "https"):
        raise IntakeError(
            f"{_short(text)} is not an http:// or https:// URL; casebot fetches only those."
        )
    if not url.host:
        raise IntakeError(f"{_short(text)} has no host name.")
    return url.copy_with(fragment=None)


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _short(text: str, limit: int = 120) -> str:
    # URLs come from users and servers: no control characters, and not a page of them.
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to an address that passed the check, and to exactly that address."""

    def __init__(self, *, allow_private: bool, resolve: Resolver) -> None:
        self._allow_private = allow_private
        self._resolve = resolve

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        addresses = check_host(host, port, allow_private=self._allow_private, resolve=self._resolve)
        return super().connect_tcp(addresses[0], port, *args, **kwargs)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool built on `_GuardedBackend`.

    TLS still checks the certificate against the URL's host name: httpcore takes the server
    name from the request, not from the address connected to.
    """

    def __init__(self, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
        super().__init__(trust_env=False)
        # httpx offers no way to pass a network backend; its pool is rebuilt with one, with
        # the same TLS context httpx made.
        ssl_context = getattr(self._pool, "_ssl_context", None)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=4,
            network_backend=_GuardedBackend(allow_private=allow_private, resolve=resolve),
        )
