"""The `notify` step: post the team message to a Slack incoming webhook.

The text arrives already filled in by the engine (session facts are variables). The message
is written to the log before it is sent, so the log shows exactly what the team received
even when the post fails. The webhook URL is a secret: only its host appears anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dwtui.actions._httpclient import DEFAULT_TIMEOUT, check_url, host_of, make_client, send
from dwtui.actions._timeouts import step_timeout
from dwtui.actions.base import ActionContext, ActionError, ActionOutcome
from dwtui.actions.redact import masker_for

#: Slack cuts messages at 40,000 characters; a longer template is a mistake in the checklist.
MAX_TEXT = 40_000


def payload(params: Mapping[str, Any]) -> dict[str, str]:
    """The incoming-webhook JSON body: `text`, and `channel` when the step names one."""
    body = {"text": str(params.get("text") or "")}
    channel = str(params.get("channel") or "")
    if channel:
        body["channel"] = channel
    return body


def preview(params: Mapping[str, Any]) -> str:
    """How the message will look, for the log and the TUI's step preview."""
    body = payload(params)
    where = f"to {body['channel']}" if "channel" in body else "to the webhook's default channel"
    text = "\n".join(f"  | {line}" for line in body["text"].splitlines() or [""])
    return f"Slack message {where}:\n{text}"


class NotifyAction:
    """Posts `text` (and `channel`) as Slack incoming-webhook JSON to `webhook`."""

    def run(self, ctx: ActionContext) -> ActionOutcome:
        """Log the preview, post, and fail the step on a non-2xx answer or a timeout."""
        masker = masker_for(ctx)
        body = payload(ctx.params)
        url = str(ctx.params.get("webhook") or "")
        host = host_of(url) if url else ""
        evidence: dict[str, Any] = {
            "channel": body.get("channel", ""),
            "text": masker.mask(body["text"]),
            "webhook_host": host,
        }
        try:
            if not body["text"].strip():
                raise ActionError("the notify step has no text")
            if len(body["text"]) > MAX_TEXT:
                raise ActionError(
                    f"the message is {len(body['text'])} characters; "
                    f"Slack accepts at most {MAX_TEXT}"
                )
            if not url:
                raise ActionError("no webhook URL (is the webhook variable set?)")
            check_url(url)
            ctx.log.line(preview(ctx.params))
            if ctx.cancel.is_set():
                raise ActionError("cancelled by the operator before the message was sent")
            ctx.log.line(f"-> POST to the webhook at {host}")
            timeout = step_timeout(ctx, DEFAULT_TIMEOUT)
            with make_client(timeout) as client:
                reply = send(client, "POST", url, timeout=timeout, json_body=body)
        except ActionError as exc:
            # The URL is the secret itself: never let an error message quote it.
            message = masker.mask(str(exc)).replace(url, "<webhook>") if url else str(exc)
            ctx.log.line(f"error: {message}")
            return ActionOutcome(ok=False, error=message, summary=message, evidence=evidence)

        answer = " ".join(reply.text.split())[:200]
        ctx.log.line(
            f"<- {reply.status} {reply.reason} in {reply.latency_ms:.0f} ms"
            + (f": {answer}" if answer else "")
        )
        evidence["status"] = reply.status
        observed = {"status": reply.status, "output": reply.text}
        if 200 <= reply.status < 300 or "status" in ctx.step.expect:
            where = body.get("channel") or "the webhook's channel"
            return ActionOutcome(
                ok=True,
                summary=f"posted to {where} ({reply.status})",
                observed=observed,
                evidence=evidence,
            )
        message = masker.mask(
            f"the Slack webhook answered {reply.status} {reply.reason}"
            + (f": {answer}" if answer else "")
        )
        ctx.log.line(f"error: {message}")
        return ActionOutcome(
            ok=False, error=message, summary=message, observed=observed, evidence=evidence
        )


__all__ = ["NotifyAction", "payload", "preview"]
