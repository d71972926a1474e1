"""How newswatch talks HTTP: `HttpSettings`, read from `NEWSWATCH_*` variables by `HttpSettings.from_env`."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline import __version__
from pipeline.errors import ConfigError

DEFAULT_CONTACT_URL = "https://github.com/newswatch/newswatch"


@dataclass(frozen=True)
class HttpSettings:
    """How newswatch talks HTTP. `from_env` reads each field from a `NEWSWATCH_*` variable."""

    contact_url: str = DEFAULT_CONTACT_URL
    user_agent: str | None = None  # replaces the whole "newswatch/<version> (+<contact>)" string when set
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # one request/response exchange including its body
    max_bytes: int = 8 * 1024 * 1024
    per_host: int = 2
    host_delay: float = 1.0
    retries: int = 3  # extra attempts after the first
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    max_redirects: int = 5
    respect_robots: bool = True
    allow_private_addresses: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDR blocks exempt from the address guard, e.g. "10.1.2.0/24"

    def __post_init__(self) -> None:
        positive = ("connect_timeout", "read_timeout", "total_timeout", "max_bytes", "per_host")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"must be greater than 0, got {getattr(self, name)!r}", field=name)
        not_negative = (
            "host_delay",
            "retries",
            "backoff_base",
            "backoff_max",
            "retry_after_max",
            "max_redirects",
        )
        for name in not_negative:
            if getattr(self, name) < 0:
                raise ConfigError(f"must not be negative, got {getattr(self, name)!r}", field=name)
        for network in self.allowed_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ConfigError(f"not an IP network: {network!r}", field="allowed_networks") from exc

    @property
    def user_agent_header(self) -> str:
        return self.user_agent or f"newswatch/{__version__} (+{self.contact_url})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HttpSettings:
        """Settings from the environment (or `environ`); an unset variable keeps the default.

        NEWSWATCH_CONTACT_URL      URL in the User-Agent where site owners can reach us
        NEWSWATCH_USER_AGENT       the whole User-Agent string, replacing "newswatch/<version> (+<contact>)"
        NEWSWATCH_CONNECT_TIMEOUT  seconds to open a connection (10)
        NEWSWATCH_READ_TIMEOUT     seconds to wait for each piece of the response (20)
        NEWSWATCH_TIMEOUT          seconds for a whole request/response exchange including the body (60)
        NEWSWATCH_MAX_BYTES        largest body accepted, in bytes (8 MiB)
        NEWSWATCH_PER_HOST         requests in flight at once per host (2)
        NEWSWATCH_HOST_DELAY       seconds between the starts of two requests to one host (1)
        NEWSWATCH_RETRIES          extra attempts after a transient failure (3)
        NEWSWATCH_BACKOFF          base of the exponential backoff, seconds (1)
        NEWSWATCH_BACKOFF_MAX      longest backoff between two attempts, seconds (30)
        NEWSWATCH_RETRY_AFTER_MAX  longest Retry-After we wait for, seconds (120); longer fails transiently
        NEWSWATCH_MAX_REDIRECTS    redirects followed per fetch (5)
        NEWSWATCH_RESPECT_ROBOTS   obey robots.txt for article pages (true)
        NEWSWATCH_ALLOW_PRIVATE    allow private, loopback, link-local addresses (false): tests, intranets
        NEWSWATCH_ALLOWED_NETWORKS comma-separated CIDR blocks allowed even though private (none)
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (attribute, parse) in _ENV_FIELDS.items():
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[attribute] = parse(raw.strip())
            except ValueError as exc:
                raise ConfigError(str(exc), field=name) from exc
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ConfigError as exc:  # name the variable, not the field
            variable = next((n for n, (a, _) in _ENV_FIELDS.items() if a == exc.field), exc.field)
            raise ConfigError(str(exc).removeprefix(f"{exc.field}: "), field=variable) from exc


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _parse_float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None


def _parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number, got {raw!r}") from None


def _parse_networks(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


_ENV_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "NEWSWATCH_CONTACT_URL": ("contact_url", str),
    "NEWSWATCH_USER_AGENT": ("user_agent", str),
    "NEWSWATCH_CONNECT_TIMEOUT": ("connect_timeout", _parse_float),
    "NEWSWATCH_READ_TIMEOUT": ("read_timeout", _parse_float),
    "NEWSWATCH_TIMEOUT": ("total_timeout", _parse_float),
    "NEWSWATCH_MAX_BYTES": ("max_bytes", _parse_int),
    "NEWSWATCH_PER_HOST": ("per_host", _parse_int),
    "NEWSWATCH_HOST_DELAY": ("host_delay", _parse_float),
    "NEWSWATCH_RETRIES": ("retries", _parse_int),
    "NEWSWATCH_BACKOFF": ("backoff_base", _parse_float),
    "NEWSWATCH_BACKOFF_MAX": ("backoff_max", _parse_float),
    "NEWSWATCH_RETRY_AFTER_MAX": ("retry_after_max", _parse_float),
    "NEWSWATCH_MAX_REDIRECTS": ("max_redirects", _parse_int),
    "NEWSWATCH_RESPECT_ROBOTS": ("respect_robots", _parse_bool),
    "NEWSWATCH_ALLOW_PRIVATE": ("allow_private_addresses", _parse_bool),
    "NEWSWATCH_ALLOWED_NETWORKS": ("allowed_networks", _parse_networks),
}
