"""Property: any mix of runbook pieces imports without an exception into a checklist the
loader accepts (everything odd is a note, never a crash or an invalid checklist)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwtui.checklist.loader import check_files
from dwtui.markdown_io import import_markdown, to_toml

PIECES = [
    "# Title\n",
    "## Step 1 - Do it\n",
    "### Rollback\n",
    "## Revert\n",
    "## Success criteria\n",
    "```sh\necho $HOME ${X} $$ $(date) <NS> {{ns}} $NS\n```\n",
    "```console\n$ ls\nout\n```\n",
    "```console\nout\n```\n",
    "```sql\nselect * from t where a = '<A>' and b = {{b}};\n```\n",
    '```http\nPOST {{host}}/x\nAuthorization: Bearer {{token}}\n\n{"a": 1}\n```\n',
    "```yaml\na: ${b}\n```\n",
    "- [ ] task `kubectl get pods`\n  - [ ] sub\n",
    "1. item\n\n        ls -l\n",
    "2. x: `systemctl restart x`\n",
    "<!-- dwtui: id=x confirm=true -->\n",
    "<!-- dwtui: bad -->\n",
    '<!-- dwtui-phase\nid = "p"\n-->\n',
    "[[_TOC_]]\n",
    "| Symptom | Scenario | Urgency |\n|---|---|---|\n| s | Rollback | high |\n",
    "Some prose with ${weird} and ${api_token} and $$.\n",
    "```\n┌──┐\n│ 1. A │\n│ □ x │\n│ 2. B │\n│ □ y │\n└──┘\n```\n",
    "<div>html</div>\n",
    "> quote\n",
    "---\n",
    "```sh\n# 1. One\nls\n# 2. Two\n# only comment\n```\n",
    '```dwtui\nkind = "shell"\ncommand = "true"\n```\n',
    "```sh id=dup\ntrue\n```\n",
    '```toml dwtui\nkind = "nope"\n```\n',
    "```bash\nfor X in a; do echo $X; done\n```\n",
    "## ${x} heading\n",
    "### Undo it\n",
    "- plain\n- list\n",
    "```http\nnot a request\n```\n",
    "```sql\n\\dt\n```\n",
    "```python\nprint(1)\n```\n",
    "```sql\nVACUUM <S>.t;\n```\n",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
def test_any_mix_of_pieces_imports_to_a_valid_checklist(tmp_path: Path, pieces: list[str]) -> None:
    result = import_markdown("\n".join(pieces), "mix.md")
    path = tmp_path / "mix.toml"
    path.write_text(to_toml(result.data))
    assert check_files([path]) == []
