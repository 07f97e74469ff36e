"""Fetching a URL for `casebot add`: bounded in time, size and redirects, checked at each hop.

Redirects are followed here, one at a time, not by httpx, so that every hop's scheme and
address are checked again (a public page may redirect to 169.254.169.254). The transport
checks the address once more at connect time and connects to the address it checked, so a
name that resolves differently the second time (DNS rebinding) gets no further.

Bounds, each against a server that means harm:

* **Time**: one deadline, CASEBOT_FETCH_TIMEOUT seconds from the start, over the whole
  fetch: every redirect, connect, TLS handshake, header and body read. httpx's own timeouts
  apply to each socket operation, so a server dripping its headers a byte at a time would
  never trip them; the transport's streams give every operation only the time left.
* **Size**: CASEBOT_FETCH_MAX_BYTES, counted on the wire and again after decompression, as
  the bytes come out of the decompressor: each call may produce at most what is left of
  the limit, so a compression bomb stops at the limit instead of expanding a chunk in full.
  Only gzip and deflate are read, and only one of them: a body compressed twice
  (`Content-Encoding: gzip, gzip`) is refused, as no real page is served that way.
"""

from __future__ import annotations

import logging
import time
import zlib
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
    # What `_Decoder` reads (httpx would offer br and zstd too when those are installed).
    "Accept-Encoding": "gzip, deflate",
}
_GZIP = frozenset({"gzip", "x-gzip"})


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
        timeout: seconds for the whole fetch, redirects, connecting, headers and body.
        max_bytes: the largest body accepted, on the wire and decompressed.
        resolve: the resolver the address checks use (tests inject one).
        transport: the httpx transport (tests pass one that refuses every connection);
            default: one that checks the address again when it connects.

    Raises:
        IntakeError: for every refusal, with one sentence saying why.
    """
    deadline = Deadline(timeout)
    transport = transport or GuardedTransport(
        allow_private=allow_private, resolve=resolve, deadline=deadline
    )
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
                    return _read(response, deadline=deadline, max_bytes=max_bytes)
            except httpx.TimeoutException:
                raise IntakeError(
                    f"{_short(str(current))} did not send the page within {timeout:g} seconds."
                ) from None
            except httpx.HTTPError as error:
                raise IntakeError(
                    f"{_short(str(current))} could not be fetched ({type(error).__name__})."
                ) from None
    raise IntakeError(f"{_short(url)} redirects more than {MAX_REDIRECTS} times.")


def _read(response: httpx.Response, *, deadline: Deadline, max_bytes: int) -> Fetched:
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
    decoder = _Decoder.for_codings(response.headers.get_list("content-encoding", split_commas=True), where)
    too_big = f"{where} is more than {max_bytes:,} bytes; casebot adds at most that."
    body = bytearray()
    received = 0
    # Raw bytes, as they arrive (httpx's iter_bytes would decompress each chunk whole).
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise IntakeError(too_big)
        body += decoder.decode(chunk, room=max_bytes - len(body), too_big=too_big)
        # The transport's streams stop each read at the deadline; this catches a server
        # that keeps sending in time for every read.
        deadline.check()
    body += decoder.finish(room=max_bytes - len(body), too_big=too_big)
    return Fetched(
        url=str(response.url), kind=kind, charset=response.charset_encoding, body=bytes(body)
    )


class _Decoder:
    """A response body's Content-Encoding undone incrementally, never past a byte budget."""

    def __init__(self, coding: str | None) -> None:
        self._coding = coding
        self._inflate = self._new()
        self._started = False

    @classmethod
    def for_codings(cls, codings: list[str], where: str) -> _Decoder:
        """The decoder for a response's codings, or IntakeError for ones casebot refuses."""
        named = [c.strip().lower() for c in codings if c.strip().lower() not in ("", "identity")]
        if len(named) > 1:
            raise IntakeError(
                f"{where} is compressed more than once ({_short(', '.join(named), 60)}); "
                "casebot does not unpack stacked encodings."
            )
        if named and named[0] not in (*_GZIP, "deflate"):
            raise IntakeError(
                f"{where} is compressed as {_short(named[0], 30)}, which casebot does not read "
                "(it reads gzip and deflate)."
            )
        return cls(named[0] if named else None)

    def _new(self, *, raw: bool = False) -> zlib._Decompress | None:
        if self._coding is None:
            return None
        if self._coding in _GZIP:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped, but some servers send it raw.
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def decode(self, data: bytes, *, room: int, too_big: str) -> bytes:
        """`data` decompressed; IntakeError(`too_big`) rather than more than `room` bytes."""
        if self._inflate is None:
            return data
        out = bytearray()
        while data:
            try:
                # At most room + 1 bytes come out; the input not yet used waits in
                # unconsumed_tail, so memory never holds more than the limit.
                piece = self._inflate.decompress(data, room - len(out) + 1)
            except zlib.error:
                if self._coding == "deflate" and not self._started:
                    self._inflate, self._started = self._new(raw=True), True
                    continue
                raise IntakeError("the page's compressed body is broken.") from None
            self._started = True
            out += piece
            if len(out) > room:
                raise IntakeError(too_big)
            data = self._inflate.unconsumed_tail
            if self._inflate.eof:
                # Concatenated gzip members are one body (RFC 1952); anything else after
                # the end of a deflate stream is ignored, as browsers do.
                data = self._inflate.unused_data if self._coding in _GZIP else b""
                if data:
                    self._inflate = self._new()
        return bytes(out)

    def finish(self, *, room: int, too_big: str) -> bytes:
        if self._inflate is None:
            return b""
        out = self._inflate.flush(room + 1)
        if len(out) > room:
            raise IntakeError(too_big)
        return out


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


class Deadline:
    """A point in time a fetch must be done by; every socket operation gets what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self, timeout: float | None = None) -> float:
        """Seconds left, at most `timeout`; httpcore.ReadTimeout once there are none."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            # httpx maps it to httpx.ReadTimeout, which `fetch` reports.
            raise httpcore.ReadTimeout(f"the fetch's {self.seconds:g} s have passed")
        return remaining if timeout is None else min(timeout, remaining)

    def check(self) -> None:
        """httpx.ReadTimeout once the time is up (for code outside httpx's own calls, where
        httpcore's exceptions are not turned into httpx's)."""
        if self._end - time.monotonic() <= 0:
            raise httpx.ReadTimeout(f"the fetch's {self.seconds:g} s have passed")


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, self._deadline.left(timeout))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to an address that passed the check, and to exactly that address,
    within the fetch's deadline (None: httpx's per-operation timeouts only)."""

    def __init__(
        self, *, allow_private: bool, resolve: Resolver, deadline: Deadline | None = None
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolve
        self._deadline = deadline

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, *args: Any, **kwargs: Any
    ) -> httpcore.NetworkStream:
        addresses = check_host(host, port, allow_private=self._allow_private, resolve=self._resolve)
        if self._deadline is None:
            return super().connect_tcp(addresses[0], port, timeout, *args, **kwargs)
        stream = super().connect_tcp(
            addresses[0], port, self._deadline.left(timeout), *args, **kwargs
        )
        return _DeadlineStream(stream, self._deadline)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool built on `_GuardedBackend`.

    TLS still checks the certificate against the URL's host name: httpcore takes the server
    name from the request, not from the address connected to.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver = system_resolver,
        deadline: Deadline | None = None,
    ) -> None:
        super().__init__(trust_env=False)
        # httpx offers no way to pass a network backend; its pool is rebuilt with one, with
        # the same TLS context httpx made.
        ssl_context = getattr(self._pool, "_ssl_context", None)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=4,
            network_backend=_GuardedBackend(
                allow_private=allow_private, resolve=resolve, deadline=deadline
            ),
        )
