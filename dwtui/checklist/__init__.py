"""Checklists as data: the model, and loading/validating TOML checklist files.

- `model.py`   the frozen dataclasses (`Checklist`, `Phase`, `Step`, ...);
- `loader.py`  `load_checklist(path)` / `check_files(paths)`, errors as `path:line:col: message`;
- `kept.py`    the same load, taken from the cache while nothing that shaped it changed;
- `schema.py`  allowed fields and types per section and per step kind;
- `build.py`, `step_rules.py`, `refs.py`   structural, per-kind and cross-reference checks;
- `locate.py`  key path -> line:col, since tomli keeps no positions;
- `placeholders.py`   finding `${name}` references.
"""
