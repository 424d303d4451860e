"""dwtui: execute a staged runbook from a full-screen terminal checklist."""

import os

__version__ = "0.1.0"

# Textual paints at most TEXTUAL_FPS frames a second (default 60), and after an idle pause
# its frame timer waits one to two frame intervals before the next frame: up to 33 ms
# between a step's last output line and that line on screen. Frames are drawn only when
# something changed (the log pane caps itself at 30 a second), so a higher cap costs nothing
# while idle. Read by Textual when it is imported, hence here; an operator's own value wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
