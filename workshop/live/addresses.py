"""Which address the room's phones can reach: the join QR code and URL must never point at loopback.

``PUBLIC_URL`` (e.g. ``https://vote.example.org``) wins. Without it the address the page was opened on
is used, unless that is a loopback address (``make run`` prints http://127.0.0.1:5000/): then this
machine's LAN addresses are offered instead, on the same port, and the control screen warns.
"""

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

from flask import current_app, has_request_context, request, url_for


def public_url() -> str | None:
    """The configured public base URL, without a trailing slash."""
    value = current_app.config.get("PUBLIC_URL")
    return value.rstrip("/") if value else None


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1 (no phone in the room can reach them)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def lan_addresses() -> tuple[str, ...]:
    """This machine's non-loopback IPv4 addresses, the default route's first (no packet is sent)."""
    found = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # UDP connect only picks the outgoing interface
        found.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    return tuple(dict.fromkeys(a for a in found if not ipaddress.ip_address(a).is_loopback))


def _opened_on() -> tuple[str, str, int | None]:
    parts = urlsplit(request.host_url)
    return parts.scheme, parts.hostname or "", parts.port


_last_seen: dict[str, str] = {}  # outside a request (pulse broadcasts): the base the last request worked out


def base_url() -> str:
    """The base URL phones should use: PUBLIC_URL, else this request's, else a LAN address for loopback."""
    configured = public_url()
    if configured:
        return configured
    if not has_request_context():
        return _last_seen.get("base", "")
    scheme, host, port = _opened_on()
    if is_loopback(host) and lan_addresses():
        host = lan_addresses()[0]
    _last_seen["base"] = f"{scheme}://{host}" + (f":{port}" if port else "")
    return _last_seen["base"]


def join_warning() -> str | None:
    """What the control screen says when the page was opened on loopback and no PUBLIC_URL is set."""
    scheme, host, port = _opened_on()
    if public_url() or not is_loopback(host):
        return None
    suffix = f":{port}" if port else ""
    lan = ", ".join(f"{scheme}://{a}{suffix}" for a in lan_addresses())
    if not lan:
        return (f"Phones cannot reach {host}: it is this computer only, and no network address was found. "
                "Set PUBLIC_URL to the address phones use (README: Running it in a room).")
    return (f"Phones cannot reach {host}: it is this computer only. The join QR code uses {lan} instead; "
            "start the server with HOST=0.0.0.0 so phones on the venue Wi-Fi reach it, or set PUBLIC_URL "
            "(README: Running it in a room).")


def join_url(workshop, **query) -> str:
    """The short URL the projector's QR code encodes, on an address phones can reach."""
    path = url_for("live.join_code", code=workshop.join_code, **query) if has_request_context() else (
        f"/j/{workshop.join_code}" + (f"?{urlencode(query)}" if query else ""))  # pulse broadcasts: no request
    return base_url() + path
