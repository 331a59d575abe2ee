"""Webhook endpoints: where an organisation wants its events, and where it may not.

The signing secret follows the Standard Webhooks format (``whsec_`` and base64 of
random bytes). It must be kept retrievable, not hashed: the deliverer signs every
message with it. A rotation keeps the previous secret signing beside the new one
for a grace period, so a receiver can switch over without dropping a message.

The URL rules guard against server-side request forgery: an endpoint is called by
our servers, so it must not point into our own network. An organisation keeps at
most ``MAX_WEBHOOKS_PER_ORGANISATION`` endpoints: one event fans out to one delivery
per endpoint, and every organisation's deliveries share the deliverers.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from service.domain.errors import Conflict, Invalid
from service.domain.tenancy import TenantOwned
from service.domain.webhook_events import PUBLISHED

#: What an endpoint may subscribe to: exactly what changes publish.
EVENT_TYPES = tuple(event_type for event_type, _data in PUBLISHED.values())
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
SECRET_BYTES = 32
DEFAULT_SECRET_GRACE = timedelta(hours=24)
MAX_URL_LENGTH = 2000
#: Host names that mean this machine, for development set-ups that allow loopback.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Endpoints an organisation may keep, active or not.
MAX_WEBHOOKS_PER_ORGANISATION = 20


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(eq=False)
class Webhook(TenantOwned):
    org_id: UUID
    id: UUID
    url: str
    events: list[str]
    secret: str
    description: str | None = None
    active: bool = True
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def rotate_secret(self, now: datetime, grace: timedelta) -> str:
        """A new secret; the current one keeps signing too until ``now + grace``.

        Rotated again within a grace period, the secret that grace was for keeps signing
        (until the later of the two ends), not the one in between: receivers still hold
        the older one, and a client rotates again mostly because it lost the answer that
        showed the one in between. No grace ends every earlier secret at once."""
        if grace <= timedelta(0):
            self.previous_secret, self.previous_secret_expires_at = None, None
        else:
            expires = now + grace
            pending = self.previous_secret_expires_at
            if self.previous_secret is None or pending is None or pending <= now:
                self.previous_secret = self.secret
            else:
                expires = max(expires, pending)
            self.previous_secret_expires_at = expires
        self.secret = new_signing_secret()
        return self.secret


def ensure_room_for_another(registered: int) -> None:
    """An organisation with ``registered`` endpoints may add one more, up to the cap."""
    if registered >= MAX_WEBHOOKS_PER_ORGANISATION:
        raise Conflict(
            f"An organisation may keep at most {MAX_WEBHOOKS_PER_ORGANISATION} webhooks, "
            "active or inactive; delete one before registering another, or subscribe an "
            "existing endpoint to more events."
        )


def signing_secrets(
    secret: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> list[str]:
    """The secrets a message is signed with now: the current one, and the previous
    one while its grace period lasts (a receiver accepts any matching signature)."""
    keys = [secret]
    if previous and previous_expires_at is not None and previous_expires_at > now:
        keys.append(previous)
    return keys


def normalise_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        message = f"Unknown event types: {', '.join(unknown)}." if unknown else "Choose one."
        raise Invalid("The events are not valid.", {"events": [message]})
    return [e for e in EVENT_TYPES if e in set(events)]


@dataclass(frozen=True, slots=True)
class EndpointUrl:
    """A syntactically acceptable endpoint URL and the host to resolve."""

    url: str
    host: str
    port: int
    loopback_name: bool = False


def _refuse(message: str) -> Invalid:
    return Invalid("The URL is not allowed.", {"url": [message]})


def parse_endpoint_url(url: str, *, allow_loopback: bool) -> EndpointUrl:
    """HTTPS only, no credentials in the URL; plain HTTP only to this machine, and
    only where the deployment allows loopback (development and tests)."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"Use at most {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _refuse("Encode spaces and control characters in the URL.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("This is not a valid URL.") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"https", "http"} or not host:
        raise _refuse("Use an absolute https:// URL.")
    if "@" in parts.netloc:
        raise _refuse(
            "A user name or password in the URL is not allowed; authenticate "
            "the sender by the webhook signature instead."
        )
    if parts.fragment:
        raise _refuse("A fragment (#...) is never sent; remove it.")
    loopback_name = host in LOOPBACK_NAMES
    if parts.scheme == "http" and not (allow_loopback and loopback_name):
        raise _refuse("Use https://; plain http:// is not allowed.")
    default_port = 443 if parts.scheme == "https" else 80
    return EndpointUrl(url, host, port or default_port, loopback_name)


#: The IPv6 space the registries hand out for public unicast; nothing else is public.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
#: IPv4 addresses seen through a dual-stack socket: the same destination as the IPv4
#: address itself, so they are judged as that address (loopback included).
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
#: The NAT64 well-known prefix (RFC 6052). DNS64 resolvers on IPv6-only hosts answer
#: with it for IPv4-only receivers, so it is judged by the IPv4 address it carries; the
#: translator is another machine, so the carried address is never this one's loopback.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
#: Other IPv6 forms that carry or reach an IPv4 address through a translator or a
#: tunnel, refused whatever they carry: obsolete or deprecated (no receiver needs
#: them), or with an operator-chosen layout that cannot be read reliably.
_TRANSLATIONS_REFUSED = (
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "local-use NAT64 (RFC 8215)"),
    (ipaddress.IPv6Network("2002::/16"), "6to4 (RFC 3056, deprecated)"),
    (ipaddress.IPv6Network("2001::/32"), "Teredo (RFC 4380)"),
    (ipaddress.IPv6Network("::ffff:0:0:0/96"), "IPv4-translated, SIIT (RFC 2765)"),
    (ipaddress.IPv6Network("::/96"), "IPv4-compatible (deprecated, RFC 4291)"),
)
_NOT_PUBLIC = "The host resolves to a private, loopback, link-local or reserved address."


def _translation_refusal(ip: ipaddress.IPv6Address) -> str | None:
    if int(ip) <= 1:  # :: and ::1 are no IPv4-compatible addresses: judged below
        return None
    for network, name in _TRANSLATIONS_REFUSED:
        if ip in network:
            return (
                f"The host resolves to an IPv6 address of the {name} range, which "
                "carries an IPv4 address through a translator or tunnel; use the "
                "receiver's own public IPv4 or IPv6 address."
            )
    return None


def addresses_refusal(addresses: Sequence[str], *, allow_loopback: bool) -> str | None:
    """Why a host that resolves to ``addresses`` may not be called, if it may not: it
    resolves to nothing, or to one address webhooks may not reach."""
    if not addresses:
        return "The host name does not resolve."
    for address in addresses:
        refusal = address_refusal(address, allow_loopback=allow_loopback)
        if refusal is not None:
            return refusal
    return None


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why an address may not be called (None when it may): only public addresses,
    and loopback (127.0.0.0/8, ::1) where the deployment allows it.

    An IPv6 address that carries an IPv4 one is judged by the IPv4 address where the
    layout is fixed and real set-ups produce it (IPv4-mapped, NAT64's well-known
    prefix), and refused outright otherwise (local-use NAT64, 6to4, Teredo, SIIT,
    IPv4-compatible). Public IPv6 must be global unicast (``2000::/3``)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            address.split("%", 1)[0]
        )
    except ValueError:
        return f"{address} is not an IP address."
    translated = False
    if isinstance(ip, ipaddress.IPv6Address):
        refusal = _translation_refusal(ip)
        if refusal is not None:
            return refusal
        if ip in _IPV4_MAPPED:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip in _NAT64_WELL_KNOWN:
            ip, translated = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), True
    if ip.is_loopback and allow_loopback and not translated:
        return None
    public = ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST_V6:
        public = False
    if public:
        return None
    if translated:
        return f"The host resolves to a NAT64 address of {ip}, which is not public."
    return _NOT_PUBLIC
