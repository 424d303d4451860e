"""The manual-check dialog tests' checklist and long item (shared by its test modules)."""

CHECKLIST = """
[checklist]
id = "manual-ticks"
title = "Manual ticks"
default_target = "local"

[targets.local]
kind = "local"
env_file = "service/.env"

[[phases]]
id = "prepare"
title = "1. Prepare"

[[phases.steps]]
id = "preflight"
title = "Pre-flight checks"
kind = "manual"
items = ["Backups are fresh", "On-call knows", "Dashboard open"]

[[phases.steps]]
id = "go"
title = "Go"
kind = "manual"
"""


LONG_ITEM = (
    "Confirm this is STAGING (kubectl context 'staging-k8s', namespace 'team-api') "
    "and that nobody else is changing it right now: ask in #ops-staging first"
)
