"""Sessions: the persisted state of one execution of one checklist on one target.

- `model`    — Session, StepState, Attempt, Note, Event (plain dataclasses)
- `store`    — SessionStore: create / load / save (atomic, durable, `.bak`) / list / recover
- `codec`    — Session <-> TOML text (end marker, typed decode, `path:line: message` errors)
- `atomic`   — crash-safe file replacement primitives
- `index`    — SessionSummary and the summary cache behind `SessionStore.list`
- `lock`     — DriverLock: one driver per session (flock), take-over, holder labels
- `journal`  — followers' notes/requests as JSON lines the driver folds in exactly once
- `signoff`  — two-person sign-off: who may approve, approvals read from the events
- `identity` — operator_name(): --operator, $DWTUI_OPERATOR, user@host
- `errors`   — SessionError and its kinds

Nothing here imports Textual or the checklist package (layers are independent).
"""
