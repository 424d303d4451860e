"""`dwtui import` speed against markdown-it-py alone parsing the same runbook, in the same run.

    .venv/bin/python bench/markdown_import.py [--lines 5000] [--repeat 15]

The runbook is generated: sections of prose, task lists with sub-items, numbered procedures
with indented commands, console transcripts, sh/sql/http blocks with placeholders, YAML to
paste, tables and a rollback section, repeated up to the line count (code dense: a block
or command every ~5 lines). Baseline: the same parser configuration (CommonMark + tables +
task lists) tokenising the text. Times are CPU times of this process, best of N, the two
sides run alternately. Target: the import (Markdown -> checklist: parse + outline +
checklist dict) takes <= 2x the baseline; the line after it adds writing the TOML text with
tomli-w (what `dwtui import` also does), shown for information.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from dwtui.markdown_io import import_markdown, to_toml
from dwtui.markdown_io.outline import markdown_parser

TARGET_RATIO = 2.0

SECTION = """\
## Step {n} - Take node {n} out of load balancing

The node must be drained before maintenance. Check the dashboard first and make sure the
on-call engineer knows. This paragraph is long on purpose, like the ones people write.

- [ ] Announce the drain of node {n} in #ops
  - [ ] Post the timeline
  - [ ] Pin the message
- [ ] Freeze deploys of `web-{n}`

1. Drain the node:

        kubectl drain node-{n} --ignore-daemonsets -n <NAMESPACE>

2. Check it is empty: `kubectl get pods -n <NAMESPACE> --field-selector spec.nodeName=node-{n}`

```console
$ kubectl get nodes node-{n}
NAME       STATUS                     ROLES    AGE
node-{n}   Ready,SchedulingDisabled   worker   12d
```

<!-- dwtui: id=bloat-{n} timeout=60 -->
```sql
SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE schemaname = '<SCHEMA>' LIMIT 20;
```

```http
GET {{{{base}}}}/health/{n}
Authorization: Bearer {{{{api_token}}}}
```

```yaml
resources:
  limits:
    memory: {n}Gi
```

| Check | Value |
|---|---|
| node | node-{n} |

```bash
export STAMP=$(date +%s)
echo "drained by $USER at $STAMP" >> "$HOME/drain-{n}.log"
```

"""

ROLLBACK = """\
## Rollback

### Put the nodes back

```sh
kubectl uncordon node-1 -n $NAMESPACE
```
"""


def build_runbook(lines: int) -> str:
    """A runbook of about `lines` lines."""
    parts = ["# Generated maintenance runbook", "", "[[_TOC_]]", ""]
    n = 0
    while sum(p.count("\n") + 1 for p in parts) < lines - ROLLBACK.count("\n"):
        n += 1
        parts.append(SECTION.format(n=n))
    parts.append(ROLLBACK)
    return "\n".join(parts)


def timed(function: Callable[[], object]) -> float:
    start = time.process_time()
    function()
    return time.process_time() - start


def interleaved(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Best-of-`repeat` CPU times (this process only) of `a` and `b`, run alternately so
    load on the shared machine hits both alike."""
    times_a, times_b = [], []
    for _ in range(repeat):
        times_a.append(timed(a))
        times_b.append(timed(b))
    return min(times_a), min(times_b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    text = build_runbook(args.lines)
    md = markdown_parser()
    result = import_markdown(text, "bench.md")
    steps = sum(len(p["steps"]) for p in result.data["phases"])

    parse, full = interleaved(
        lambda: md.parse(text),
        lambda: to_toml(import_markdown(text, "bench.md").data),
        args.repeat,
    )
    _, checklist_only = interleaved(
        lambda: md.parse(text), lambda: import_markdown(text, "bench.md"), args.repeat
    )
    ratio = checklist_only / parse
    print(
        f"runbook: {text.count(chr(10)) + 1} lines, {len(result.data['phases'])} phases, "
        f"{steps} steps, {len(result.notes)} notes"
    )
    print(f"markdown-it-py parse: {parse * 1000:8.1f} ms")
    print(
        f"import to a checklist:{checklist_only * 1000:8.1f} ms  (parse + outline + checklist dict)"
    )
    print(
        f"  + TOML text:        {full * 1000:8.1f} ms  ({full / parse:.2f}x; "
        "tomli-w writing it, as `dwtui import` does)"
    )
    print(
        f"ratio: {ratio:.2f}x  (target <= {TARGET_RATIO:.1f}x) "
        f"{'OK' if ratio <= TARGET_RATIO else 'OVER'}"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
