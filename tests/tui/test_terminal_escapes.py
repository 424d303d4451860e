"""Step output cannot drive the terminal: `dwtui run`, `dwtui status`, the markdown report and
the TUI (log pane, step detail) show escape sequences instead of sending them. Issue 18 item 6.

A real shell step prints a window-title change (OSC 0), a screen clear (CSI 2J), a clipboard
write (OSC 52), a one-byte C1 CSI and a carriage-return overwrite, then fails, so the output
also lands in its summary (`expected exit_code 0, got 1 (<last line>)`) and in a capture.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from textual.app import App, ComposeResult

from dwtui.checklist.loader import load_checklist
from dwtui.session.store import SessionStore
from dwtui.text_safety import is_safe, visible
from dwtui.widgets.log_view import LogPane, LogView
from tests.helpers.cli_fixtures import cli, dwtui_argv
from tests.helpers.paths import REPO_ROOT
from tests.helpers.pty_support import run_on_pty
from tests.helpers.tui_support import main_screen, make_workspace, open_app, wait_for

ROOT = REPO_ROOT
#: What the step prints (printf escapes), and the dangerous bytes none of our output may hold.
PAYLOAD = r"hidden\rshown \033]0;pwned\007\033[2J\033]52;c;ZXZpbA==\007\302\23331mC1"
DANGEROUS = [b"\x1b]", b"\x1b[2J", b"\x07", b"\xc2\x9b", b"\r"]

CHECKLIST = f"""
[checklist]
id = "escapes"
title = "Escapes"
default_target = "local"

[targets.local]
kind = "local"
env_file = "app.env"

[[phases]]
id = "p"
title = "P"

[[phases.steps]]
id = "grab"
title = "Capture"
kind = "shell"
command = '''printf 'v=%s\\n' "$(printf '{PAYLOAD}')"'''
capture = {{ value = "v=(.*)" }}

[[phases.steps]]
id = "evil"
title = "Prints escapes"
kind = "shell"
command = '''printf '\\033[32mgreen\\033[0m ok\\n{PAYLOAD}\\n'; exit 1'''

[[phases.steps]]
id = "use"
title = "Uses the captured value"
kind = "http"
method = "GET"
url = "http://127.0.0.1:9/${{value}}"
"""


def dwtui(*args: str) -> subprocess.CompletedProcess[bytes]:
    return cli(*args, cwd=ROOT, env=dict(os.environ, DWTUI_OPERATOR="ci"), text=False)


def ran_session(root: Path) -> tuple[SessionStore, str, subprocess.CompletedProcess[bytes]]:
    path = root / "checklists" / "escapes.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CHECKLIST, encoding="utf-8")
    store = SessionStore(root / "sessions")
    sid = store.create(load_checklist(path), None, "ci").id
    done = dwtui("run", sid, "--sessions-dir", str(store.root))
    assert done.returncode == 1, done.stderr
    return store, sid, done


def assert_harmless(data: bytes, *, colours: bool = False) -> None:
    """None of the dangerous sequences; no ESC at all unless the output has its own colours
    (rich on a terminal)."""
    for sequence in DANGEROUS if colours else [*DANGEROUS, b"\x1b"]:
        assert sequence not in data, (sequence, data)


def test_the_step_really_printed_the_escapes(tmp_path: Path) -> None:
    store, sid, _ = ran_session(tmp_path)
    raw = (store.dir_of(sid) / "logs" / "evil.1.log").read_bytes()
    assert b"\x1b]0;pwned\x07" in raw and b"\x1b]52;c;ZXZpbA==\x07" in raw  # the log is evidence
    assert store.load(sid).steps["grab"].status == "passed"


def test_headless_run_shows_the_escapes_instead_of_sending_them(tmp_path: Path) -> None:
    _, _, done = ran_session(tmp_path)
    assert_harmless(done.stdout + done.stderr)
    text = done.stdout.decode()
    assert "failed" in text and "␛]0;pwned␇" in text and "<U+009B>" in text


def test_status_piped_and_on_a_terminal(tmp_path: Path) -> None:
    store, sid, _ = ran_session(tmp_path)
    piped = dwtui("status", sid, "--sessions-dir", str(store.root))
    assert piped.returncode == 0, piped.stderr
    assert_harmless(piped.stdout + piped.stderr)
    assert "␛]52;c;ZXZpbA==␇" in piped.stdout.decode()
    on_tty = run_on_a_terminal("status", sid, "--sessions-dir", str(store.root))
    assert b"\x1b[" in on_tty  # rich's own colours: this really is the terminal path
    assert_harmless(on_tty.replace(b"\r\n", b"\n"), colours=True)
    assert "␛]0;pwned".encode() in on_tty


def run_on_a_terminal(*args: str) -> bytes:
    code, out = run_on_pty(
        dwtui_argv(*args),
        cwd=ROOT,
        env=dict(os.environ, DWTUI_OPERATOR="ci", COLUMNS="250"),
        timeout=30,
    )
    assert code == 0, out
    return out


def test_markdown_report_file_and_stdout(tmp_path: Path) -> None:
    store, sid, _ = ran_session(tmp_path)
    output = tmp_path / "report.md"
    written = dwtui("report", sid, "--sessions-dir", str(store.root), "-o", str(output))
    assert written.returncode == 0, written.stderr
    report = output.read_bytes()
    assert_harmless(report)
    assert "␛]0;pwned␇" in report.decode()
    printed = dwtui("report", sid, "--sessions-dir", str(store.root))
    assert printed.returncode == 0
    assert_harmless(printed.stdout)


class LogApp(App[None]):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield LogPane(id="pane")

    def on_mount(self) -> None:
        self.query_one(LogView).open(self.path)


async def test_log_pane_keeps_colours_and_shows_every_other_control(tmp_path: Path) -> None:
    store, sid, _ = ran_session(tmp_path)
    app = LogApp(store.dir_of(sid) / "logs" / "evil.1.log")
    async with app.run_test(size=(160, 10)) as pilot:
        view = app.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count >= 3)
        rendered = [view.render_line(y) for y in range(view.line_count)]
        texts = ["".join(seg.text for seg in strip) for strip in rendered]
        assert_harmless("".join(texts).encode())
        assert "\x1b" not in "".join(texts)
        assert any("hidden␍shown ␛]0;pwned␇␛[2J␛]52;c;ZXZpbA==␇<U+009B>31mC1" in t for t in texts)
        green = [seg for strip in rendered for seg in strip if seg.text == "green"]
        assert green and green[0].style is not None and green[0].style.color is not None
        assert green[0].style.color.number == 2  # SGR colour still rendered as a colour


async def test_step_detail_of_the_real_app_shows_the_summary_safely(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, clock=False)
    store, sid, _ = ran_session(tmp_path)
    workspace.store = store
    app = open_app(workspace, sid)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = main_screen(app)
        await wait_for(pilot, lambda: screen.select_step("evil"))
        detail = screen.query_one("#detail-facts")
        await wait_for(pilot, lambda: "pwned" in str(detail.render()))
        shown = "".join(
            seg.text for y in range(detail.size.height) for seg in detail.render_line(y)
        )
        assert "\x1b" not in shown and "pwned" in shown
        log = "".join(
            seg.text
            for y in range(screen.log_view.line_count)
            for seg in screen.log_view.render_line(y)
        )
        assert "\x1b" not in log
        await wait_for(pilot, lambda: screen.select_step("use"))
        preview = screen.query_one("#detail-preview")
        await wait_for(pilot, lambda: "pwned" in str(preview.render()))
        await wait_for(pilot, lambda: preview.size.height >= 3)  # laid out with the url line
        shown = "".join(
            seg.text for y in range(preview.size.height) for seg in preview.render_line(y)
        )
        assert "\x1b" not in shown and "␛]0;pwned" in shown  # the captured value, made visible


def test_visible_makes_every_control_but_newline_and_tab_visible() -> None:
    assert visible("a\tb\nc") == "a\tb\nc"
    assert visible("\x1b[2J\x07\x00\x7f") == "␛[2J␇␀␡"
    assert visible("one\r\ntwo\rX") == "one\ntwo␍X"
    assert visible("\x9b31m \u202eevil") == "<U+009B>31m <U+202E>evil"
    assert visible("\x1b[1;31mred\x1b[0m\x1b]0;t\x07", keep_sgr=True) == (
        "\x1b[1;31mred\x1b[0m␛]0;t␇"
    )
    assert visible("\x1b[2J", keep_sgr=True) == "␛[2J"
    assert is_safe("plain text ✓") and not is_safe("\x1b")
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]:
        if chr(code) not in "\n\t":
            assert is_safe(visible(f"x{chr(code)}y")), code


def test_compare_shows_hostile_report_keys_safely(tmp_path: Path) -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J"
    before = tmp_path / "before.json"
    after = tmp_path / "after.json"
    before.write_text(
        f'{{"rows": 1, "{evil}gone": 1}}'.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
    )
    after.write_text(
        f'{{"rows": 2, "{evil}new": "{evil}"}}'.replace("\x1b", "\\u001b").replace(
            "\x07", "\\u0007"
        )
    )
    piped = dwtui("compare", str(before), str(after))
    assert piped.returncode == 0, piped.stderr
    assert_harmless(piped.stdout)
    assert "␛]0;pwned␇" in piped.stdout.decode()
    on_tty = run_on_a_terminal("compare", str(before), str(after))
    assert_harmless(on_tty.replace(b"\r\n", b"\n"), colours=True)


def test_sessions_listing_of_a_hostile_session_file(tmp_path: Path) -> None:
    store, sid, _ = ran_session(tmp_path)
    session = store.load(sid)
    session.checklist_title = "\x1b]0;pwned\x07\x1b[2Jtitle"
    session.target = "\x9b2Jlocal"
    store.save(session)
    listed = dwtui("sessions", "--sessions-dir", str(store.root))
    assert listed.returncode == 0, listed.stderr
    assert_harmless(listed.stdout + listed.stderr)
    assert "␛]0;pwned␇␛[2Jtitle" in listed.stdout.decode()
    status = dwtui("status", sid, "--sessions-dir", str(store.root))
    assert_harmless(status.stdout + status.stderr)
    assert "<U+009B>2Jlocal" in status.stdout.decode()
