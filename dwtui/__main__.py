"""`python -m dwtui` is `dwtui`."""

import sys

from dwtui.cli import main

sys.exit(main())
