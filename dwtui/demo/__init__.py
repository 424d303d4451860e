"""The local staging stand-in: a simulation of the deltacrown staging world, apart from the core.

`dwtui demo` (see `cli.py`) starts it and opens the shipped P5-T6 checklist against it, so a
newcomer can rehearse the whole runbook in minutes; the end-to-end tests use it the same way.

- `database.py` + `schema.sql`: a fresh PostgreSQL database (from `--dsn`, `$DWTUI_DEMO_DSN`
  or the local server; name `$DWTUI_DEMO_DBNAME`, default `dwtui_demo_<random>`, one per
  rehearsal, dropped only by the rehearsal that created it) with the vNext, legacy and
  `team_migration_map` tables: 50 vNext teams, 40 of them mapped (80 % coverage).
- `kube_*.py`: the fake Kubernetes API over HTTPS (deployment `deltacrown-web`, pods that
  restart) that real kubectl 1.30+ and the Python client use like a cluster.
- `stand_in.py`: `dwtui demo --stand-in-only`, the stand-in in the foreground.
- `team_api.py`: the five team flows; dual-write after commit when the serving pod has
  `TEAM_VNEXT_DUAL_WRITE_ENABLED=true`, with `dual_write_scheduled` lines in its log.
- `pod/`: `manage.py` (`shell -c`, `validate_vnext_migration --format json`) and a `django`
  stub, run "in" a pod as a local subprocess; `validation.py` builds the report.
- `slack.py`: a webhook receiver; `world.py`: `DemoWorld`, all of it as one context manager.

Nothing here is imported by `dwtui.cli` at start-up.
"""
