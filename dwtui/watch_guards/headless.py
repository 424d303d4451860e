"""What `dwtui run` does on a guard's breach: say it, then stop (exit 4) or roll back.

A session frozen by an earlier breach stays frozen (exit 4 at once, before any forward
step) until `--unfreeze "why"` records the operator's decision.
`--on-breach stop` (the default) prints the breach, its last samples and the scenario it
points to, and exits 4. `--on-breach rollback` runs that scenario at once (its steps are
never frozen) and still exits 4 when it completed; if the scenario itself stops, its own
exit code is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from dwtui.exit_codes import EXIT_BREACH
from dwtui.watch_guards.runner import Breach

ON_BREACH = ("stop", "rollback")
#: Samples of the breach shown on the terminal (all of them are in the session).
SHOWN_SAMPLES = 6


def breach_lines(breach: Breach) -> list[str]:
    """The breach for a terminal: what, the samples before it, where it points."""
    values = [f"{s['value']:g}" if "value" in s else "?" for s in breach.samples]
    lines = [
        f"guard {breach.guard_id} ({breach.title}) breached: {breach.reason}",
        f"  last samples: {' '.join(values[-SHOWN_SAMPLES:])}",
    ]
    if breach.scenario:
        lines.append(
            f"  rollback scenario: {breach.scenario} (dwtui run --scenario {breach.scenario})"
        )
    else:
        lines.append("  no rollback scenario is named for it")
    return lines


def on_breach(
    breaches: list[Breach],
    frozen: str,
    mode: str,
    err: TextIO,
    run_scenario: Callable[[str], int],
) -> int:
    """Report the first breach (or just the freeze) and stop or roll back; the exit code."""
    breach = breaches[0] if breaches else None
    if breach is None:
        print(
            f"dwtui run: the run is frozen: {frozen}; run the rollback scenario "
            '(--scenario ID), or after checking: --unfreeze "why"',
            file=err,
        )
        return EXIT_BREACH
    for line in breach_lines(breach):
        print(f"dwtui run: {line}", file=err)
    if mode != "rollback":
        print(
            "dwtui run: the run stays frozen: roll back (--on-breach rollback), or after "
            'checking let it go on (--unfreeze "why")',
            file=err,
        )
        return EXIT_BREACH
    if not breach.scenario:
        print("dwtui run: --on-breach rollback: nothing to run", file=err)
        return EXIT_BREACH
    print(f"dwtui run: --on-breach rollback: running scenario {breach.scenario}", file=err)
    code = run_scenario(breach.scenario)
    return EXIT_BREACH if code == 0 else code
