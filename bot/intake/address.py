"""Which addresses `casebot add` may fetch from: the guard against server-side request forgery.

An admin pastes a URL into chat and casebot fetches it from inside the operator's network. A
URL naming (or resolving to) a loopback, private, link-local or cloud-metadata address would
let anyone with that right read internal services, so those are refused unless the operator
sets CASEBOT_FETCH_PRIVATE=true (tests do, to fetch from 127.0.0.1).

`refusal` is a pure function over resolved addresses; `check_host` resolves through an
injectable resolver, so both are tested without a network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from bot.intake.errors import IntakeError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the host resolves to.
Resolver = Callable[[str, int], list[str]]

# Cloud metadata services that are not covered by "link-local" (169.254.169.254 is): AWS's
# IPv6 endpoint and Alibaba's. Listed so the reason given names them.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class AddressRefused(IntakeError):
    """The host may not be fetched from; str() is one sentence for the user."""


def refusal(address: Address) -> str | None:
    """Why `address` may not be fetched from (a few words), or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1.
        return refusal(address.ipv4_mapped)
    if address.is_unspecified:
        # 0.0.0.0 and :: reach this machine.
        return "an unspecified address (this machine)"
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast or address.is_reserved:
        return "a reserved address"
    if address.is_private or (
        isinstance(address, ipaddress.IPv4Address) and address in _SHARED
    ):
        return "a private address"
    return None


# 100.64.0.0/10 (carrier-grade NAT) is not "private" to the ipaddress module but is internal.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, by the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_host(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[str]:
    """Resolve `host` and check every address it has.

    Every address must be allowed, not just one: a name with a public and a private address
    could otherwise be steered to the private one.

    Returns:
        The resolved addresses (an IP literal resolves to itself).

    Raises:
        AddressRefused: the name does not resolve, or an address is not allowed.
    """
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            raise AddressRefused(f"the host {_shown(host)} could not be found.") from None
        if not addresses:
            raise AddressRefused(f"the host {_shown(host)} could not be found.")
    if not allow_private:
        for text in addresses:
            reason = refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason is not None:
                raise AddressRefused(
                    f"the host {_shown(host)} is {reason} ({text}), which casebot does not "
                    "fetch from (set CASEBOT_FETCH_PRIVATE=true to allow it)."
                )
    return addresses


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _shown(host: str) -> str:
    # Hosts come from users: shown cut short and without control characters.
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in host)
    return cleaned if len(cleaned) <= 80 else cleaned[:79] + "…"
