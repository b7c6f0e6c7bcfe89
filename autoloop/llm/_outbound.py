"""Outbound LLM traffic the operator approves: which hosts a tenant's ``llm.base_url`` may reach.

A tenant's endpoint is called from the service and its workers, inside the operator's
network. Its host must resolve to public addresses only, unless the operator lists the host,
one of its addresses or a network holding them in ``AUTOLOOP_LLM_ALLOW``
(``llm.internal,10.1.0.0/16,127.0.0.1``): loopback, private, link-local, shared (CGNAT),
multicast and reserved addresses are refused at submission (422), so a tenant cannot point
the optimizer at an internal service. The study's endpoint carries the allow-list
(``outbound_allow``), and the worker's ``ChatClient`` checks again on every connection
(``pinned_transport``): it resolves the host once, checks every address, and connects to the
address it checked, so a name that resolves elsewhere by the time the run calls it (DNS
rebinding) is refused too. The operator's own endpoint is not checked (the operator chose it).
An endpoint's error body never reaches a study's error text either (``ChatClient`` reports the
status and a fixed reason), so even an allowed internal endpoint is not a way to read another
service's answers.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from autoloop.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_ALLOW_HINT = "the operator may allow it in AUTOLOOP_LLM_ALLOW (a host, an address or a network)"


class OutboundPolicy:
    """Checks tenants' endpoint URLs against the operator's allow-list.

    Args:
        allow: Host names (matched exactly, case-insensitive), IP addresses and networks
            (CIDR) a tenant's endpoint may reach besides public addresses.

    Raises:
        ConfigError: An entry is neither a host name nor an address or network.
    """

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.allow = tuple(allow)
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in self.allow:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not entry.replace("-", "").replace(".", "").isalnum():
                    raise ConfigError(f"AUTOLOOP_LLM_ALLOW entry {entry!r} is neither a host name nor an address or network") from None
                self.hosts.add(entry.lower().rstrip("."))

    def check(self, base_url: str) -> None:
        """Refuse ``base_url`` unless every address its host resolves to is public or allowed.

        Raises:
            ConfigError: (422) Not an http(s) URL with a host, a host that does not resolve, or
                an address the operator did not allow; the message names ``llm.base_url``, not the URL.
        """
        try:
            parts = urlsplit(base_url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ConfigError("llm.base_url: not a URL; write e.g. https://api.example.com/v1") from None
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            raise ConfigError("llm.base_url: must be an http:// or https:// URL with a host, e.g. https://api.example.com/v1")
        self.address_for(host, port)

    def address_for(self, host: str, port: int) -> str:
        """The address to connect to for ``host``: the host itself when the operator lists it by
        name, else its first address once every address it resolves to passed the check.

        Raises:
            ConfigError: The host does not resolve, or resolves to an address not allowed.
        """
        if host.lower().rstrip(".") in self.hosts:
            return host
        addresses = _addresses(host, port)
        for address in addresses:
            if not (address.is_global and not address.is_multicast) and not any(address in net for net in self.networks):
                raise ConfigError(
                    f"llm.base_url: its host resolves to a {_kind(address)} address, which this service does not call for tenants; "
                    f"use a public endpoint, or {_ALLOW_HINT}"
                )
        return str(addresses[0])


def pinned_transport(policy: OutboundPolicy, http: ModuleType) -> Any:
    """An ``http.HTTPTransport`` that connects only where ``policy`` allows, to the very address it checked.

    Args:
        policy: The operator's allow-list.
        http: The httpx-like library the openai client is built on (``httpx``, or ``httpx2``).

    A refused connection raises ``refusal_type(http)``, a ``ConnectError``.
    """
    return _pinned_class(http)(policy)


def refusal_type(http: ModuleType) -> type[Exception]:
    """The error ``pinned_transport`` raises for a connection the allow-list refused."""
    return _pinned_class(http).Refused


@functools.cache
def _pinned_class(http: ModuleType) -> Any:
    class PinnedTransport(http.HTTPTransport):  # type: ignore[name-defined,misc]
        Refused = type("OutboundRefused", (http.ConnectError,), {"__doc__": "A connection the operator's allow-list refused."})

        def __init__(self, policy: OutboundPolicy) -> None:
            super().__init__()
            self.policy = policy

        def handle_request(self, request: Any) -> Any:
            host = request.url.host
            try:
                address = self.policy.address_for(host, request.url.port or (443 if request.url.scheme == "https" else 80))
            except ConfigError as exc:
                raise self.Refused(str(exc), request=request) from None
            if address != host:
                # The Host header keeps the name; TLS checks the certificate against the name too.
                request.extensions = {**request.extensions, "sni_hostname": host}
                request.url = request.url.copy_with(host=address)
            return super().handle_request(request)

    return PinnedTransport


def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ConfigError("llm.base_url: its host does not resolve from this service; check the name") from None
    # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it is.
    found = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    return [a.ipv4_mapped if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped else a for a in found]


def _kind(address: IPAddress) -> str:
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    return "non-public"
