"""The address policy: a fetch may not hop from a public address to an internal one (SSRF).

What the operator typed (a registry URL, `extract URL`) is the operator's choice and is fetched
wherever it points. Everything a *server* chooses (a redirect, a ``<meta refresh>``, a link on
an index page, a CMS detail or next-page URL) is checked: when the page it came from is on a
public address, the next URL may not resolve to a loopback, private, link-local (cloud
metadata), shared or reserved address, unless ``[crawl] allow_private`` lists it. Resolved
addresses are checked, not just names, so ``evil.example → 169.254.169.254`` is caught too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not public either


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []  # unresolvable: the fetch itself fails with a DNS error
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """``allow``: CIDRs, addresses or host names the operator allows as hop targets.
    ``internal``: the networks counted as internal (default: every non-public range)."""

    allow: Sequence[str] = ()
    internal: Sequence[str] | None = None
    resolver: Resolver = field(default=resolve, compare=False)

    def _allowed_networks(self) -> list[Network]:
        return [n for n in (_network(a) for a in self.allow) if n is not None]

    def is_internal(self, address: str) -> bool:
        ip: IPAddress = ipaddress.ip_address(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.internal is not None:
            return any(ip in n for n in (_network(x) for x in self.internal) if n is not None)
        return not ip.is_global or ip in _SHARED or ip.is_multicast

    def _allowed(self, host: str, addresses: Iterable[str]) -> bool:
        if host.lower() in {a.lower() for a in self.allow}:
            return True
        nets = self._allowed_networks()
        return bool(nets) and all(
            any(ipaddress.ip_address(a) in n for n in nets) for a in addresses
        )

    def hop_problem(self, origin_url: str, target_url: str) -> str | None:
        """Why fetching ``target_url`` on behalf of ``origin_url`` is refused, or None."""
        target_host = urlsplit(target_url).hostname or ""
        targets = self.resolver(target_host) if target_host else []
        internal = [a for a in targets if self.is_internal(a)]
        if not internal or self._allowed(target_host, internal):
            return None
        origin_host = urlsplit(origin_url).hostname or ""
        origins = self.resolver(origin_host) if origin_host else []
        if origins and all(self.is_internal(a) for a in origins):
            return None  # the operator chose an internal source: its own network is fair
        return (
            f"{target_url} resolves to internal address {internal[0]}, reached from public "
            f"{origin_url}; refused (list it in [crawl] allow_private if it is wanted)"
        )
