"""The notify action posting Slack incoming-webhook JSON to a recording loopback server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dwtui.actions.base import ActionOutcome
from dwtui.actions.notify import NotifyAction, payload, preview
from tests.helpers.action_fixtures import FileLog, make_context
from tests.helpers.http_fixtures import (
    RecordingServer,
    SilentServer,
    free_port,
    http_server,
    silent_server,
)
from tests.helpers.secret_fixtures import make_secret

__all__ = ["http_server", "silent_server"]  # fixtures used by name

TEXT = "P5-T6 dual-write enabled on staging (session 3f2a, operator alice)\nNext: smoke tests"


def webhook(server_url: str) -> tuple[str, str]:
    """A webhook URL whose last part is a registered secret, and that secret."""
    key = make_secret("webhook-key")
    return f"{server_url}/services/T0001/B0001/{key}", key


def run_notify(
    tmp_path: Path, params: dict[str, Any], key: str, **kw: Any
) -> tuple[ActionOutcome, FileLog]:
    """Run one notify step with the webhook URL as a secret variable."""
    url = str(params.get("webhook", ""))
    ctx, log = make_context(
        tmp_path, "notify", params, secrets={"slack_webhook": url, "webhook_key": key}, **kw
    )
    return NotifyAction().run(ctx), log


def test_posts_incoming_webhook_json_after_logging_a_preview(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    url, key = webhook(http_server.url)
    http_server.reply("POST", r"/services/T0001/B0001/.*", text="ok")
    params = {"webhook": url, "channel": "#team-vnext-migration", "text": TEXT}
    outcome, log = run_notify(tmp_path, params, key)
    assert outcome.ok, outcome.error
    assert outcome.summary == "posted to #team-vnext-migration (200)"
    assert outcome.observed["status"] == 200
    [request] = http_server.requests
    assert request.json() == {"text": TEXT, "channel": "#team-vnext-migration"}
    assert request.headers["Content-Type"] == "application/json"
    text = log.text()
    assert text.index("Slack message to #team-vnext-migration:") < text.index("-> POST")
    assert "  | P5-T6 dual-write enabled on staging" in text
    assert "  | Next: smoke tests" in text
    assert key not in text
    assert key not in repr(outcome.evidence)
    assert outcome.evidence["webhook_host"] == f"127.0.0.1:{http_server.port}"
    assert outcome.evidence["status"] == 200


def test_channel_is_optional() -> None:
    assert payload({"text": "hi"}) == {"text": "hi"}
    assert preview({"text": "hi"}) == "Slack message to the webhook's default channel:\n  | hi"


def test_a_rejected_post_fails_with_slacks_reason(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    url, key = webhook(http_server.url)
    http_server.reply("POST", r"/services/.*", 404, text="no_service")
    outcome, log = run_notify(tmp_path, {"webhook": url, "text": TEXT}, key)
    assert not outcome.ok
    assert outcome.error == "the Slack webhook answered 404 Not Found: no_service"
    assert "error: the Slack webhook answered 404" in log.text()
    assert len(http_server.requests) == 1


def test_a_webhook_that_never_answers_fails_within_the_timeout(
    tmp_path: Path, silent_server: SilentServer
) -> None:
    url, key = webhook(silent_server.url)
    started = time.monotonic()
    outcome, _ = run_notify(tmp_path, {"webhook": url, "text": TEXT}, key, timeout=1)
    elapsed = time.monotonic() - started
    assert not outcome.ok
    assert outcome.error == f"no response from 127.0.0.1:{silent_server.port} within 1 s"
    assert elapsed < 1 + 1


def test_refused_connection_never_quotes_the_webhook(tmp_path: Path) -> None:
    url, key = webhook(f"http://127.0.0.1:{free_port()}")
    outcome, log = run_notify(tmp_path, {"webhook": url, "text": TEXT}, key)
    assert not outcome.ok
    assert outcome.error.startswith("cannot connect to 127.0.0.1:")
    assert key not in outcome.error and key not in log.text()


def test_nothing_is_sent_without_text_or_webhook(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    url, key = webhook(http_server.url)
    empty, _ = run_notify(tmp_path / "a", {"webhook": url, "text": "  "}, key)
    assert empty.error == "the notify step has no text"
    missing, _ = run_notify(tmp_path / "b", {"webhook": "", "text": TEXT}, key)
    assert missing.error == "no webhook URL (is the webhook variable set?)"
    assert http_server.requests == []
