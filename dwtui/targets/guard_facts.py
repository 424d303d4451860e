"""What a database connection string or a URL acts on, as facts for the guard.

A libpq DSN (`key=value` or `postgresql://` URI) can name its server several ways at once:
`host` (a `,`-list), `hostaddr` (the address actually dialled when given), `service` (an entry
of pg_service.conf that supplies more keys), and any key it lacks comes from the `PG*`
environment. The guard sees every one of them, not just the first `host`.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: DSN keys that say where we connect, and the environment variable libpq falls back to.
_DSN_KEYS = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "service": "PGSERVICE",
    "dbname": "PGDATABASE",
}
_LABELS = {
    "host": "database host",
    "hostaddr": "database hostaddr",
    "service": "database service",
    "dbname": "database",
}


class FactList:
    """Facts in order, each name unique (`database host`, `database host #2`, ...)."""

    def __init__(self) -> None:
        self.facts: dict[str, str] = {}

    def add(self, name: str, value: str) -> None:
        """Add `value` under `name` (numbered when the name is taken; empty values skipped)."""
        value = str(value).strip()
        if not value or value in self._values_of(name):
            return
        key, number = name, 1
        while key in self.facts:
            number += 1
            key = f"{name} #{number}"
        self.facts[key] = value

    def update(self, facts: Mapping[str, str]) -> None:
        """Add every fact of `facts`."""
        for name, value in facts.items():
            self.add(name, value)

    def _values_of(self, name: str) -> list[str]:
        return [v for k, v in self.facts.items() if k == name or k.startswith(name + " #")]


def dsn_facts(
    dsn: str, environ: Mapping[str, str] | None = None, *, depth: int = 0
) -> dict[str, str]:
    """Every host, address, service and database `dsn` (or the PG* environment) names.

    A DSN libpq cannot parse gives no facts (the caller reports it as invalid).
    """
    from psycopg import Error, conninfo

    env = os.environ if environ is None else environ
    facts = FactList()
    try:
        parts = {k: str(v) for k, v in conninfo.conninfo_to_dict(dsn).items()}
    except Error:
        return {}
    for key, variable in _DSN_KEYS.items():
        value = parts.get(key) or env.get(variable, "")
        for item in value.split(",") if key in ("host", "hostaddr") else [value]:
            facts.add(_LABELS[key], item)
    dbname = parts.get("dbname", "")
    if depth < 2 and ("=" in dbname or "://" in dbname):  # a DSN inside dbname
        facts.update(dsn_facts(dbname, env, depth=depth + 1))
    service = parts.get("service") or env.get("PGSERVICE", "")
    if service:
        for key, value in service_entry(service, env).items():
            if key in _LABELS:
                for item in value.split(",") if key in ("host", "hostaddr") else [value]:
                    facts.add(f"{_LABELS[key]} (service {service})", item)
    return facts.facts


def service_entry(service: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The keys of `service` in the first pg_service.conf that defines it (libpq's order)."""
    files = []
    if environ.get("PGSERVICEFILE"):
        files.append(Path(environ["PGSERVICEFILE"]))
    else:
        files.append(Path(environ.get("HOME") or os.path.expanduser("~")) / ".pg_service.conf")
    files.append(Path(environ.get("PGSYSCONFDIR") or "/etc/postgresql-common") / "pg_service.conf")
    for path in files:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeError):
            continue
        if parser.has_section(service):
            return {k.lower(): v for k, v in parser.items(service)}
    return {}


def url_facts(url: str, label: str = "API host") -> dict[str, str]:
    """The host a URL points at (as parsed by the stdlib and by httpx, percent-decoded);
    a `postgres://` URL gives its DSN facts."""
    facts = FactList()
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("postgres", "postgresql"):
        facts.update(dsn_facts(url, {}))
        return facts.facts
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    facts.add(label, host)
    facts.add(label, unquote(host))
    import httpx

    try:
        facts.add(label, httpx.URL(url).host)
    except (httpx.InvalidURL, ValueError, TypeError):
        facts.add(label, "")  # httpx refuses it: it will not be sent either
    return facts.facts
