"""The one HTTP package: every request newswatch makes goes through `HttpClient.fetch` (see `client`)."""

from pipeline.http.client import (
    DEFAULT_CONTACT_URL,
    ROBOTS_AGENT,
    ROBOTS_MAX_BYTES,
    AddressRefusedError,
    FetchKind,
    HostNotFoundError,
    HttpClient,
    HttpSettings,
    charset_from_content_type,
    choose_encoding,
    judge_content_type,
    parse_retry_after,
    refusal_reason,
)

__all__ = [
    "DEFAULT_CONTACT_URL",
    "ROBOTS_AGENT",
    "ROBOTS_MAX_BYTES",
    "AddressRefusedError",
    "FetchKind",
    "HostNotFoundError",
    "HttpClient",
    "HttpSettings",
    "charset_from_content_type",
    "choose_encoding",
    "judge_content_type",
    "parse_retry_after",
    "refusal_reason",
]
