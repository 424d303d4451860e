"""`python -m dwtui.headless SESSION ...`: `dwtui run` without the rest of the command line."""

from __future__ import annotations

import os
import sys

from dwtui.headless import run

if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(run())
