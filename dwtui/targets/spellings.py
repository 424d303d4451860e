"""Every spelling of a host or address the guard must see: the one canonical form of each.

`127.1`, `0x7f.1`, `017700000001`, `2130706433` all reach 127.0.0.1 (the resolver parses
addresses with `inet_aton`), `::ffff:127.0.0.1` and `[::ffff:7f00:1]` do too, and a host
name may carry a trailing dot, capitals or full-width letters that IDNA folds away. The
guard matches its patterns against the value as written *and* each canonical spelling.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import unicodedata

#: What `inet_aton` reads as an IPv4 address: 1 to 4 parts, each decimal, octal or hex.
_LEGACY_V4 = re.compile(
    r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def spellings(value: str) -> list[str]:
    """`value` and, after it, every other spelling that names the same host (no duplicates)."""
    forms = [value]
    text = value.strip()
    host = unicodedata.normalize("NFKC", text).lower().rstrip(".")
    if host.startswith("[") and "]" in host:
        host = host[1 : host.index("]")]
    forms.append(host)
    forms.extend(_address_forms(host))
    with contextlib.suppress(UnicodeError, ValueError):
        forms.append(host.encode("idna").decode("ascii"))
    out: list[str] = []
    for form in forms:
        if form and form not in out:
            out.append(form)
    return out


def canonical_address(host: str) -> str | None:
    """The IP address `host` spells (dotted quad or compressed IPv6), or None for a name."""
    forms = _address_forms(host.strip().lower().rstrip(".").strip("[]"))
    return forms[0] if forms else None


def _address_forms(host: str) -> list[str]:
    if _LEGACY_V4.fullmatch(host):
        try:
            return [socket.inet_ntoa(socket.inet_aton(host.rstrip(".")))]
        except OSError:
            return []
    if ":" not in host:
        return []
    try:
        address = ipaddress.IPv6Address(host.split("%", 1)[0])  # drop a zone id
    except ValueError:
        return []
    forms = [str(address), address.exploded]
    embedded = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        embedded.extend(address.teredo)
    as_int = int(address)
    if as_int >> 32 == 0 and as_int > 1:  # deprecated IPv4-compatible ::a.b.c.d
        embedded.append(ipaddress.IPv4Address(as_int))
    if as_int >> 32 == 0xFFFF0000:  # SIIT ::ffff:0:a.b.c.d
        embedded.append(ipaddress.IPv4Address(as_int & 0xFFFFFFFF))
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(as_int & 0xFFFFFFFF))
    forms.extend(str(v4) for v4 in embedded if v4 is not None)
    return forms
