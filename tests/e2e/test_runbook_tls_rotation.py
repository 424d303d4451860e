"""A third runbook, of another kind than P5-T6, rehearsed headless for real: a TLS certificate
rotation on a local service (checklists/examples/tls_cert_rotation.toml). The service is a real
`openssl s_server` on loopback; what it serves is read with Python's own TLS client."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli_fixtures import run_dwtui
from tests.helpers.paths import REPO_ROOT

CHECKLIST = REPO_ROOT / "checklists" / "examples" / "tls_cert_rotation.toml"

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl is not installed (the runbook's steps use it)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_fingerprint(port: int) -> str:
    """SHA-256 of the certificate the service serves now, as openssl prints it (AA:BB:...)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            pem = ssl.get_server_certificate(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(path.read_text())).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def self_signed(cert: Path, key: Path, common_name: str) -> None:
    """A new self-signed certificate and its key (30 days), written by openssl."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            f"/CN={common_name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A running TLS service with its first certificate; stopped afterwards."""
    svc = tmp_path / "svc"
    svc.mkdir()
    self_signed(svc / "first.pem", svc / "first.key", "first")
    port = free_port()
    (svc / ".env").write_text(
        f"TLS_PORT={port}\nTLS_CERT={svc / 'first.pem'}\nTLS_KEY={svc / 'first.key'}\n"
    )
    server = subprocess.Popen(
        [
            "openssl",
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            str(svc / "first.pem"),
            "-key",
            str(svc / "first.key"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    (svc / "service.pid").write_text(f"{server.pid}\n")
    try:
        served_fingerprint(port)
        yield svc, port
    finally:
        server.kill()
        server.wait(10)
        pid = (svc / "service.pid").read_text().strip()
        if pid.isdigit() and int(pid) != server.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def dwtui(sessions: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dwtui(sessions, *args, env={"DWTUI_OPERATOR": "oncall@test"})


def test_rotation_serves_the_new_certificate_and_the_rollback_the_old_one(
    service: tuple[Path, int], tmp_path: Path
) -> None:
    svc, port = service
    sessions = tmp_path / "sessions"
    first = served_fingerprint(port)
    assert first == file_fingerprint(svc / "first.pem")
    created = dwtui(
        sessions,
        "new",
        str(CHECKLIST),
        "--headless",
        "--var",
        f"svc_dir={svc}",
        "--var",
        f"tls_port={port}",
    )
    assert created.returncode == 0, created.stderr
    session = created.stdout.split()[0]

    ran = dwtui(sessions, "run", session, "--yes")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    issued = sorted(p for p in svc.glob("tls-*.pem"))
    assert len(issued) == 1
    assert served_fingerprint(port) == file_fingerprint(issued[0]) != first
    key = issued[0].with_suffix(".key")
    assert key.stat().st_mode & 0o077 == 0, "the new private key is readable by others"

    back = dwtui(sessions, "run", session, "--scenario", "restore-cert", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert served_fingerprint(port) == first
    assert f"TLS_CERT={svc / 'first.pem'}" in (svc / ".env").read_text()


def test_a_served_certificate_other_than_the_checked_one_fails_the_rotation(
    service: tuple[Path, int], tmp_path: Path
) -> None:
    """The certificate file is replaced after it was checked: the service then serves one that
    nobody checked, and `served-after` fails instead of claiming the rotation happened."""
    svc, port = service
    sessions = tmp_path / "sessions"
    created = dwtui(
        sessions,
        "new",
        str(CHECKLIST),
        "--headless",
        "--var",
        f"svc_dir={svc}",
        "--var",
        f"tls_port={port}",
    )
    session = created.stdout.split()[0]
    assert dwtui(sessions, "run", session, "--yes", "--until", "check-key").returncode == 0
    issued = next(svc.glob("tls-*.pem"))
    self_signed(issued, issued.with_suffix(".key"), "swapped")
    ran = dwtui(sessions, "run", session, "--yes")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert any(
        line.startswith("failed") and "served-after" in line for line in ran.stdout.splitlines()
    ), ran.stdout
    assert served_fingerprint(port) == file_fingerprint(issued)
