"""Masking catches the common encodings of a secret (issue 18.10), not only its literal value.

A real shell step prints the secret as base64 (three alignments, standard and URL-safe,
padded or not), URL-encoded, hex, upper/lower case and wrapped across lines; none of it may
reach the log file, the session TOML or the report. A capture that holds any form of a
secret is never persisted.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dwtui.actions.http import MAX_LOG_CHARS, HttpAction
from dwtui.checklist.model import Step, Variable
from dwtui.engine import Engine
from dwtui.report.summary import render_summary
from dwtui.secret_forms import secret_forms
from dwtui.secrets import MASK, Masker, MaskingLog
from tests.helpers.action_fixtures import make_context
from tests.helpers.engine_support import make_checklist, make_engine
from tests.helpers.http_fixtures import RecordingServer, http_server
from tests.helpers.pg_fixtures import pg_dsn
from tests.helpers.secret_fixtures import make_secret, register_secret

__all__ = ["http_server", "pg_dsn"]  # the fixtures are used by name

#: Prints `label value` lines, one per form, computed from $APP_TOKEN by the step itself.
PRINT_FORMS = r"""python3 - <<'EOF'
import base64, os, urllib.parse as u
t = os.environ["APP_TOKEN"]
b = t.encode()
print("raw", t)
print("upper", t.upper())
print("lower", t.lower())
print("swapped", t.swapcase())
print("quote", u.quote(t, safe=""))
print("quote_plus", u.quote_plus(t))
print("quote_lower", u.quote(t, safe="").lower())
print("hex", b.hex())
print("HEX", b.hex().upper())
for lead in (b"", b"x", b"xy", b"user:"):
    for name, enc in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
        text = enc(lead + b + b"!?~").decode()
        print(name, len(lead), text)
        print(name, len(lead), "nopad", text.rstrip("="))
    print("alone", base64.b64encode(b).decode().rstrip("="))
print("basic", "Authorization: Basic " + base64.b64encode(b"admin:" + b).decode())
print("wrapped", t[:9])
print(t[9:])
print("wrapped_crlf", t[:5], end="\r\n")
print(t[5:])
EOF
printf '%s' "$APP_TOKEN" | base64 -w 12
echo
printf '%s' "$APP_TOKEN" | fold -w 7
echo
echo captured=$(printf '%s' "$APP_TOKEN" | tr a-z A-Z)
"""


def _engine(tmp_path: Path, steps: list[Step], secret: str) -> Engine:
    checklist = make_checklist(
        steps, variables={"token": Variable("token", secret=True, env="APP_TOKEN")}
    )
    engine, _ = make_engine(tmp_path, checklist, environ={"APP_TOKEN": secret})
    return engine


def _log(engine: Engine, step_id: str) -> str:
    attempt = engine.session.steps[step_id].attempts[-1]
    return (engine.session_dir() / attempt.log).read_text(encoding="utf-8")


def _secret() -> str:
    # Mixed case and characters that URL-encoding, JSON and base64 all spell differently.
    return register_secret(make_secret("MiXeD") + "/p@ss+wörd?")


def _leaks(text: str, secret: str) -> list[str]:
    """Forms of `secret` (and 12-character pieces of it and its encodings) found in `text`."""
    found = [form for form in secret_forms(secret) if form.lower() in text.lower()]
    data = secret.encode()
    encodings = [secret, data.hex(), base64.b64encode(data).decode()]
    for encoded in encodings:
        for start in range(0, len(encoded) - 12, 3):
            if encoded[start : start + 12].lower() in text.lower():
                found.append(encoded[start : start + 12])
    return found


def test_every_form_printed_by_a_step_is_masked_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _secret()
    monkeypatch.setenv("APP_TOKEN", secret)
    step = Step(
        id="a",
        title="a",
        kind="shell",
        params={"command": PRINT_FORMS},
        capture={"shout": r"captured=(\S+)"},
    )
    engine = _engine(tmp_path, [step], secret)
    result = engine.run_step("a")
    assert result.ok, result.summary
    log = _log(engine, "a")
    assert _leaks(log, secret) == []
    lines = log.splitlines()
    for label in (
        "raw",
        "upper",
        "lower",
        "swapped",
        "quote",
        "quote_plus",
        "quote_lower",
        "hex",
        "HEX",
        "wrapped",
        "wrapped_crlf",
    ):
        assert f"{label} {MASK}" in lines, label
    b64_lines = [line for line in lines if line.startswith(("b64 ", "b64url "))]
    assert len(b64_lines) == 16 and all(MASK in line for line in b64_lines)
    basic = next(line for line in lines if line.startswith("basic "))
    assert basic.startswith("basic Authorization: Basic YWRtaW4") and MASK in basic
    # A capture of an encoded secret is masked, so it is not kept (and says so).
    assert "shout" not in engine.session.captured
    assert engine.session.steps["a"].attempts[-1].evidence["captures_masked"] == ["shout"]
    session_text = engine.store.path_of(engine.session.id).read_text(encoding="utf-8")
    assert _leaks(session_text, secret) == []
    report = render_summary(engine.checklist, engine.session, session_dir=engine.session_dir())
    assert _leaks(report, secret) == []


def test_a_capture_derived_from_a_secret_is_never_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_dsn: str
) -> None:
    secret = _secret()
    monkeypatch.setenv("APP_TOKEN", secret)
    step = Step(
        id="q",
        title="q",
        kind="sql",
        capture={"low": "low", "enc": "enc"},
        params={
            "dsn": pg_dsn,
            "params": {"t": "${token}"},
            "query": "SELECT lower(%(t)s) AS low, "
            "encode(convert_to(%(t)s, 'UTF8'), 'base64') AS enc",
        },
    )
    engine = _engine(tmp_path, [step], secret)
    result = engine.run_step("q")
    assert result.ok, result.summary
    assert "low" not in engine.session.captured and "enc" not in engine.session.captured
    session_text = engine.store.path_of(engine.session.id).read_text(encoding="utf-8")
    assert _leaks(session_text, secret) == []
    assert secret.lower() not in session_text
    assert _leaks(_log(engine, "q"), secret) == []


def test_forms_split_across_output_chunks_are_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _secret()
    monkeypatch.setenv("APP_TOKEN", secret)
    encoded = base64.b64encode(secret.encode()).decode()
    cut = len(encoded) // 2
    # Each form goes out in two writes 0.2 s apart: a partial line, then a wrapped line.
    command = (
        f'printf \'b64 %s\' "$(printf %s "$APP_TOKEN" | base64 -w0 | cut -c1-{cut})"; '
        "sleep 0.2; "
        f'printf \'%s done\\n\' "$(printf %s "$APP_TOKEN" | base64 -w0 | cut -c{cut + 1}-)"; '
        "printf 'wrapped %s\\n' \"${APP_TOKEN:0:10}\"; sleep 0.2; "
        "printf '%s end\\n' \"${APP_TOKEN:10}\"; "
        'printf \'upper %s\' "$(printf %s "${APP_TOKEN:0:8}" | tr a-z A-Z)"; sleep 0.2; '
        "printf '%s\\n' \"${APP_TOKEN:8}\""
    )
    engine = _engine(
        tmp_path, [Step(id="s", title="s", kind="shell", params={"command": command})], secret
    )
    result = engine.run_step("s")
    assert result.ok, result.summary
    log = _log(engine, "s")
    assert _leaks(log, secret) == []
    assert f"b64 {MASK} done" in log
    assert f"wrapped {MASK}\n end" in log
    assert f"upper {MASK}" in log


def test_held_lines_are_shown_when_output_pauses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _secret()
    monkeypatch.setenv("APP_TOKEN", secret)
    # The line ends in what could begin the secret wrapped onto the next line; the step
    # then stays quiet: the line is shown anyway after the hold time.
    command = f"echo 'waiting {secret[:6]}'; sleep 3; echo finished"
    engine = _engine(
        tmp_path, [Step(id="w", title="w", kind="shell", params={"command": command})], secret
    )
    runner = threading.Thread(target=engine.run_step, args=("w",))
    runner.start()
    started = time.monotonic()
    shown = False
    while time.monotonic() - started < 2.5 and not shown:
        time.sleep(0.05)
        state = engine.session.steps.get("w")
        if state and state.attempts and state.attempts[-1].log:
            with contextlib.suppress(FileNotFoundError):
                shown = f"waiting {secret[:6]}\n" in _log(engine, "w")
    runner.join()
    assert shown, "the held line was not shown while the step was quiet"
    assert f"waiting {secret[:6]}\nfinished\n" in _log(engine, "w")


def test_masking_log_holds_a_line_whose_end_may_begin_a_wrapped_secret(tmp_path: Path) -> None:
    secret = _secret()
    path = tmp_path / "x.log"
    log = MaskingLog(path, Masker([secret]))
    log.write(f"token {secret[:12]}\n")
    assert secret[:12] not in path.read_text(encoding="utf-8")
    log.write(f"{secret[12:]} rest\n")
    log.close()
    assert path.read_text(encoding="utf-8") == f"token {MASK}\n rest\n"


def test_short_secrets_are_masked_literally_and_by_case_only() -> None:
    masker = Masker(["Ab3x"])
    assert masker.mask("Ab3x ab3x AB3X") == f"{MASK} {MASK} {MASK}"
    assert masker.mask(base64.b64encode(b"Ab3x").decode()) == "QWIzeA=="
    assert masker.mask(b"Ab3x".hex()) == "41623378"


def test_forms_are_derived_in_one_place_and_used_by_every_masker() -> None:
    secret = _secret()
    forms = secret_forms(secret)
    assert urllib.parse.quote_plus(secret) in forms
    assert secret.encode().hex() in forms
    assert base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=") in forms
    assert Masker([secret]).values == frozenset(forms)
    assert os.environ.get("APP_TOKEN") != secret


def test_a_withheld_capture_is_recorded_as_withheld(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = _secret()
    monkeypatch.setenv("APP_TOKEN", secret)
    fresh = "rotated-" + secrets.token_hex(8)  # not a secret yet when the step prints it
    # The step captures a new value of the secret variable itself: usable, never written.
    # (Its own log shows it: it was not a secret yet. Outside the scanned test root.)
    step = Step(
        id="c",
        title="c",
        kind="shell",
        params={"command": f"echo new={fresh}"},
        capture={"token": r"new=(\S+)"},
    )
    with tempfile.TemporaryDirectory() as root:
        engine = _engine(Path(root), [step], secret)
        result = engine.run_step("c")
        assert result.ok, result.summary
        assert "token" not in engine.session.captured
        evidence = engine.session.steps["c"].attempts[-1].evidence
        assert evidence["captures_withheld"] == ["token"]
        session_text = engine.store.path_of(engine.session.id).read_text(encoding="utf-8")
        assert fresh not in session_text


def test_a_secret_cut_by_the_log_bound_is_masked_whole(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    secret = _secret()
    encoded = base64.b64encode(secret.encode()).decode()
    # The body is cut for the log at MAX_LOG_CHARS: right in the middle of the encoding.
    body = "x" * (MAX_LOG_CHARS - 10) + encoded + " tail"
    http_server.reply("GET", "/big", text=body, headers={"Content-Type": "text/plain"})
    ctx, log = make_context(
        tmp_path, "http", {"url": f"{http_server.url}/big"}, secrets={"token": secret}
    )
    assert HttpAction().run(ctx).ok
    text = log.text()
    assert encoded[:10] not in text and _leaks(text, secret) == []
    assert "x" * 100 + MASK in text


_FUZZ_SECRET = register_secret(make_secret("Fuzz") + "/x+y")


@settings(max_examples=150, deadline=None)
@given(
    form=st.sampled_from(sorted(secret_forms(_FUZZ_SECRET))),
    breaks=st.lists(st.integers(min_value=1, max_value=60), max_size=2),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
    noise=st.text(alphabet="ab \n", max_size=20),
)
def test_any_form_wrapped_and_split_anyhow_is_masked(
    form: str, breaks: list[int], cuts: list[int], noise: str
) -> None:
    wrapped = form
    for at in sorted({b % len(form) for b in breaks if b % len(form)}, reverse=True):
        wrapped = wrapped[:at] + "\n" + wrapped[at:]
    text = noise + wrapped + noise + "\n"
    masker = Masker([_FUZZ_SECRET])
    out, pending, last = [], "", 0
    for cut in [*sorted(c % (len(text) + 1) for c in cuts), len(text)]:
        ready, pending = masker.mask_stream(pending + text[last:cut])
        out.append(ready)
        last = cut
    out.append(masker.mask_stream(pending, final=True)[0])
    joined = "".join(out).replace("\n", "").lower()
    assert form.lower() not in joined
    assert MASK in "".join(out)
