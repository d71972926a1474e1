"""The address guard: which IP addresses newswatch may connect to, and the transport that keeps to them.

Every connection resolves its host with `loop.getaddrinfo`, refuses private, loopback, link-local, multicast,
reserved and unspecified addresses (IPv4 and IPv6, IPv4-mapped IPv6 unwrapped) unless the settings allow
them, and then connects to the very address it checked. The URL keeps its host name, so the Host header, TLS
SNI and certificate check are unchanged, and there is no window between check and connect for DNS rebinding.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable

import httpcore
import httpx

from pipeline.http.settings import HttpSettings


def _ip_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")


def refusal_reason(address: str) -> str | None:
    """Why newswatch must not connect to this IP address by default, or None when it is a public address.

    IPv4-mapped IPv6 addresses (``::ffff:10.0.0.1``) are judged as the IPv4 address they carry.
    """
    ip = _ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return f"{reason} address {ip}"
    if not ip.is_global:  # shared (100.64.0.0/10), documentation, benchmarking and other special ranges
        return f"non-public address {ip}"
    return None


class AddressRefusedError(Exception):
    """Raised inside a connection attempt when the host resolves to an address we will not connect to."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"refused {host}: {reason}")
        self.host, self.reason = host, reason


class HostNotFoundError(Exception):
    """Raised inside a connection attempt when the host name does not exist."""


class AddressGuard:
    """Judges addresses as `refusal_reason` does, except where the settings allow private addresses."""

    def __init__(self, settings: HttpSettings) -> None:
        self._allow_all = settings.allow_private_addresses
        self._allowed = tuple(ipaddress.ip_network(n, strict=False) for n in settings.allowed_networks)

    def refusal(self, address: str) -> str | None:
        if self._allow_all:
            return None
        reason = refusal_reason(address)
        if reason is None:
            return None
        ip = _ip_address(address)
        if any(ip.version == net.version and ip in net for net in self._allowed):
            return None
        return reason

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, all checked; one refused address refuses the host."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
                raise HostNotFoundError(f"unknown host {host}") from exc
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise AddressRefusedError(host, reason)
        return addresses


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard accepted, and to exactly those addresses."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpcore.Response) -> None:
        self._response = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._response.aiter_stream():
            yield part

    async def aclose(self) -> None:
        await self._response.aclose()


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore pool that connects through `_PinnedBackend`.

    It is for `HttpClient` alone: httpcore's exceptions pass through unchanged (the client classifies them),
    and there is no proxy support (a proxy would connect for us and bypass the address guard).
    """

    def __init__(self, guard: AddressGuard) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(guard),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            extensions=request.extensions,
        )
        core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
