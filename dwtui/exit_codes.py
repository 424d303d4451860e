"""The exit codes of every dwtui command (README "Exit codes" lists the same)."""

from __future__ import annotations

import signal

EXIT_OK = 0
#: A problem was found: checklist errors, a failed step, a refusal.
EXIT_PROBLEM = 1
EXIT_USAGE = 2
#: `dwtui run` reached a step that needs the operator (manual, typed word, sign-off, a
#: command changed since the session began and not accepted).
EXIT_NEEDS_OPERATOR = 3
#: A `[[guards]]` guard breached and froze the run.
EXIT_BREACH = 4
EXIT_INTERRUPTED = 130
#: The reader of stdout went away (`dwtui status | head`): 128 + SIGPIPE, as a shell shows.
EXIT_STDOUT_CLOSED = 128 + signal.SIGPIPE
