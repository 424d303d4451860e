"""The preview of a step: its action as it will run, variables filled in, secrets masked.

What the TUI's detail pane and `dwtui run --dry-run` show before a step runs: the command
(or SQL, HTTP request, target change), its expectations, captures, retry and `when`, and
the variables it still needs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dwtui.shell_vars import shown

if TYPE_CHECKING:
    from dwtui.checklist.model import Step
    from dwtui.engine.host import EngineHost


def render(value: Any) -> str:
    """One param's value as the preview shows it."""
    if isinstance(value, str):
        return shown(value)  # a shell command: as written, its values in place
    return json.dumps(value, default=str, ensure_ascii=False)


def preview(engine: EngineHost, step: Step) -> str:
    """The action as it will run, variables filled in, secrets masked (with the engine's
    masker as it is now: refresh it first)."""
    params = engine.params_for(step, keep_missing=True)
    lines: list[str] = []
    if step.kind == "shell":
        lines.append(f"$ {shown(params.get('command', ''))}")
        for key in ("cwd", "env"):
            if params.get(key):
                lines.append(f"{key}: {render(params[key])}")
    elif step.kind == "manual":
        ticks = {t.index: t for t in engine.session.state_of(step.id).ticks}
        for index, item in enumerate(params.get("items") or []):
            tick = ticks.get(index)
            lines.append(
                f"[x] {item}  — {tick.by}, {tick.at:%H:%M:%S} UTC" if tick else f"[ ] {item}"
            )
        if not lines:
            lines.append("(manual step: do it by hand, then confirm)")
    else:
        lines.append(f"{step.kind} on {engine.target.name} ({engine.target.kind})")
        lines.extend(f"{key}: {render(value)}" for key, value in params.items())
    if step.expect:
        from dwtui.expectations import describe

        lines.append(f"expect: {describe(dict(step.expect))}")
    if step.capture:
        lines.append(f"capture: {render(dict(step.capture))}")
    from dwtui.engine.conditions import describe as describe_condition
    from dwtui.engine.conditions import governing
    from dwtui.engine.retry import describe as describe_retry

    if step.retry is not None:
        lines.append(f"retry: {describe_retry(step.retry)}")
    lines.extend(
        f"when ({where}): {describe_condition(condition)}"
        for where, condition in governing(engine, step)
    )
    if step.lock is not None:
        lines.append(f"lock: {step.lock.name} (waits at most {step.lock.timeout:g} s)")
    missing = engine.variables.missing(step)
    if missing:
        lines.append("needs: " + ", ".join(f"${{{name}}}" for name in missing))
    return engine.masker.mask("\n".join(lines))
