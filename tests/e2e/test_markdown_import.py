"""`dwtui import`: Markdown runbooks in the wild to checklists that `dwtui check` accepts.

The fixtures in tests/fixtures/markdown/ are five differently written runbooks; each has its
expected checklist next to it (`NAME.expected.toml`). After an intended change of the
importer, regenerate them with `DWTUI_UPDATE_GOLDEN=1` and review the diff.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tomli

from dwtui.markdown_io import import_markdown, to_toml
from dwtui.markdown_io.placeholders import Placeholders
from tests.helpers.cli_fixtures import cli
from tests.helpers.paths import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures" / "markdown"
RUNBOOKS = sorted(FIXTURES.glob("*.md"))


def dwtui(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return cli(*args, cwd=cwd)


def load(name: str) -> dict[str, Any]:
    return import_markdown((FIXTURES / name).read_text(), name).data


def steps(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {s["id"]: s for p in data["phases"] for s in p["steps"]}
    for scenario in data.get("rollback", {}).get("scenarios", []):
        found |= {s["id"]: s for s in scenario["steps"]}
    return found


def test_there_are_five_differently_written_runbooks() -> None:
    assert {p.stem for p in RUNBOOKS} >= {
        "k8s_crashloop_incident",
        "db_vacuum_maintenance",
        "runme_readme",
        "billing_migration_checklist",
        "p5_t6_readme",
    }


@pytest.mark.parametrize("runbook", RUNBOOKS, ids=lambda p: p.stem)
def test_runbook_imports_to_its_golden_checklist_and_checks_clean(
    runbook: Path, tmp_path: Path
) -> None:
    out = tmp_path / f"{runbook.stem}.toml"
    result = dwtui("import", runbook, "-o", out)
    assert result.returncode == 0, result.stderr
    golden = runbook.with_suffix(".expected.toml")
    if os.environ.get("DWTUI_UPDATE_GOLDEN"):
        golden.write_text(out.read_text())
    assert out.read_text() == golden.read_text()
    checked = dwtui("check", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_seed_readme_gives_its_seven_stages_as_phases_with_their_items() -> None:
    data = load("p5_t6_readme.md")
    titles = [p["title"] for p in data["phases"]]
    stages = [
        "1. Pre-flight",
        "2. Baseline",
        "3. Enable dual-write",
        "4. Execute tests",
        "5. Verify",
        "6. Validate",
        "7. Document",
    ]
    start = titles.index(stages[0])
    assert titles[start : start + 7] == stages
    enable = data["phases"][start + 2]
    assert [s["title"] for s in enable["steps"]] == [
        "Set TEAM_VNEXT_DUAL_WRITE_ENABLED=true",
        "Set TEAM_VNEXT_DUAL_WRITE_STRICT_MODE=false",
        "Restart pods",
        "Verify flags active",
    ]
    assert all(s["kind"] == "manual" for p in data["phases"][start : start + 7] for s in p["steps"])
    commands = [s["command"] for s in steps(data).values() if s["kind"] == "shell"]
    assert "python scripts/staging_validation_test.py --env=staging-k8s" in commands


def test_seed_readme_emergency_rollback_is_a_scenario_split_at_numbered_comments() -> None:
    data = load("p5_t6_readme.md")
    (scenario,) = data["rollback"]["scenarios"]
    assert [s["title"] for s in scenario["steps"]] == [
        "Disable dual-write immediately",
        "Restart pods",
        "Verify disabled",
        "Notify team",
    ]
    assert [s["kind"] for s in scenario["steps"]] == ["shell", "shell", "shell", "manual"]
    assert "kubectl exec -it ${pod} -n deltacrown" in scenario["steps"][2]["command"]
    assert "pod" in data["vars"]
    assert len(data["criteria"]) == 10


def test_incident_page_console_blocks_keep_commands_and_sample_output_is_description() -> None:
    data = load("k8s_crashloop_incident.md")
    assert data["checklist"]["title"] == "KubePodCrashLooping"
    assert [p["id"] for p in data["phases"]] == ["diagnosis", "mitigation"]
    first = data["phases"][0]["steps"][0]
    assert first["command"] == "kubectl get pods -n ${namespace} -l app=${deployment}"
    assert "CrashLoopBackOff" in first["description"]  # the $-less console block
    assert "CrashLoopBackOff" not in first["command"]  # output lines of the transcript


def test_incident_page_placeholders_and_directives() -> None:
    data = load("k8s_crashloop_incident.md")
    found = steps(data)
    assert found["recent-events"]["timeout"] == 30
    assert found["recent-events"]["command"].startswith('kubectl get events -n "${namespace}"')
    assert set(data["vars"]) == {"namespace", "deployment", "pod"}
    assert found["undo-rollout"]["confirm"] is True
    paste = found["if-the-pods-run-out-of-memory-raise-the-limit"]
    assert paste["kind"] == "manual" and "```yaml\nresources:" in paste["description"]
    assert data["rollback"]["scenarios"][0]["title"] == "Rollback"


def test_unmapped_parts_are_listed_with_line_numbers_on_stderr(tmp_path: Path) -> None:
    runbook = FIXTURES / "k8s_crashloop_incident.md"
    result = dwtui("import", runbook, "-o", tmp_path / "out.toml")
    lines = result.stderr.splitlines()
    assert f"{runbook}:9: table kept as text in a description" in lines
    assert f"{runbook}:3: table-of-contents marker skipped" in lines
    assert f"{runbook}:25: console output lines not imported (commands kept)" in lines


def test_numbered_steps_with_indented_blocks_and_inline_commands() -> None:
    data = load("db_vacuum_maintenance.md")
    phase = data["phases"][0]
    assert phase["title"] == "Step 1 - Take the replica out of load balancing"
    assert phase["id"] == "take-the-replica-out-of-load-balancing"
    drain, check, wait = phase["steps"]
    assert drain["command"] == "pgbouncer-ctl disable ${replica_host}"
    assert check["title"] == "Check no client is connected any more"
    assert check["command"].startswith("psql -h ${replica_host} -c")
    assert wait["kind"] == "manual"


def test_sql_placeholders_are_bound_and_identifiers_become_manual_steps() -> None:
    result = import_markdown((FIXTURES / "db_vacuum_maintenance.md").read_text(), "db.md")
    found = steps(result.data)
    bloat = found["check-table-bloat"]
    assert "WHERE schemaname = %(schema)s" in bloat["query"]
    assert "\\x" not in bloat["query"]
    assert bloat["params"] == {"schema": "${schema}"}
    assert found["vacuum"]["kind"] == "manual"  # <SCHEMA>.orders cannot be bound
    assert found["vacuum"]["confirm"] == "VACUUM" and found["vacuum"]["timeout"] == 3600
    messages = [n.message for n in result.notes]
    assert "psql meta-command not imported" in messages
    assert any(m.startswith("SQL placeholder schema is an identifier") for m in messages)


def test_runme_readme_names_steps_and_keeps_the_shells_own_dollars() -> None:
    data = load("runme_readme.md")
    found = steps(data)
    assert found["install"]["command"] == "python3 -m venv .venv && .venv/bin/pip install -e ."
    configure = found["configure"]["command"]
    assert 'echo "PORT=$API_PORT" > .env' in configure  # set in the block: the shell's
    assert "$USER in $HOME at $(date +%H:%M)" in configure
    serve = found["serve"]["command"]
    assert '"$${HOME}/team-api"' in serve and "echo $$$$ > team-api.pid" in serve
    assert "vars" not in data or "home" not in data["vars"]


def test_runme_http_block_gives_http_steps_with_variables() -> None:
    data = load("runme_readme.md")
    found = steps(data)
    assert found["health"]["url"] == "${base}/health"
    create = found["create-a-team"]
    assert (create["method"], create["json"], create["bearer"]) == (
        "POST",
        {"name": "qa"},
        "${api_token}",
    )
    assert data["vars"]["base"]["default"] == "http://127.0.0.1:8080"
    assert data["vars"]["api_token"]["secret"] is True


def test_migration_checklist_task_lists() -> None:
    data = load("billing_migration_checklist.md")
    found = steps(data)
    assert found["announce-the-window-in-billing"]["items"] == [
        "Post the timeline",
        "Pin the message",
    ]
    assert found["take-a-fresh-backup"]["command"].startswith("pg_dump --format=custom")
    assert '"${billing_dsn}"' in found["take-a-fresh-backup"]["command"]
    stop = found["stop-writers"]
    assert (stop["kind"], stop["confirm"]) == ("shell", True)
    assert stop["command"] == "kubectl scale deployment/billing-api --replicas=0 -n ${namespace}"
    assert [c["text"] for c in data["criteria"]] == [
        "Row counts equal on both sides",
        "No 5xx from billing-api for 15 minutes",
    ]
    assert data["rollback"]["scenarios"][0]["title"] == "Switch back to the old database"


@pytest.mark.parametrize(
    ("written", "imported", "declared"),
    [
        ("kubectl get pods -n <NAMESPACE>", "kubectl get pods -n ${namespace}", {"namespace"}),
        ("kubectl get pods -n $NAMESPACE", "kubectl get pods -n ${namespace}", {"namespace"}),
        ("helm upgrade {{ release }} .", "helm upgrade ${release} .", {"release"}),
        ("echo $HOME $PATH $KUBECONFIG $PGHOST", "echo $HOME $PATH $KUBECONFIG $PGHOST", set()),
        ("echo ${HOME}", "echo $${HOME}", set()),
        ("echo $(date) $1 $lower", "echo $(date) $1 $lower", set()),
        ("echo $$", "echo $$$$", set()),
        ('N=3; echo "$N"', 'N=3; echo "$N"', set()),
        ("export TOKEN_FILE=x; cat $TOKEN_FILE", "export TOKEN_FILE=x; cat $TOKEN_FILE", set()),
        ("for HOST in a b; do ping $HOST; done", "for HOST in a b; do ping $HOST; done", set()),
        ("awk '{print $NF}'", "awk '{print $NF}'", set()),
        ("echo ${X:-d} ${#a[@]}", "echo $${X:-d} $${#a[@]}", set()),
        ("cat <<EOF\nx\nEOF", "cat <<EOF\nx\nEOF", set()),
        ("kubectl exec <pod-name> -- ls", "kubectl exec ${pod_name} -- ls", {"pod_name"}),
        ("echo <TARGET>", "echo ${target_value}", {"target_value"}),
    ],
)
def test_shell_placeholder_rule(written: str, imported: str, declared: set[str]) -> None:
    names = Placeholders()
    assert names.shell(written, 1) == imported
    assert set(names.found) == declared


def test_console_block_without_prompt_lines_is_sample_output() -> None:
    text = "# R\n\n## Look\n\n```console\nNAME READY\nweb 1/1\n```\n\n```sh\nuptime\n```\n"
    data = import_markdown(text, "r.md").data
    (step,) = data["phases"][0]["steps"]
    assert step["command"] == "uptime"
    assert "NAME READY" in step["description"]


def test_html_comment_directive_sets_step_fields() -> None:
    text = (
        "# R\n\n## Backup\n\n<!-- dwtui: id=backup confirm=true timeout=600 -->\n"
        "```sh\npg_dump db > db.sql\n```\n"
    )
    (step,) = import_markdown(text, "r.md").data["phases"][0]["steps"]
    assert (step["id"], step["confirm"], step["timeout"]) == ("backup", True, 600)


def test_info_string_sets_step_fields_and_bad_directives_are_notes() -> None:
    text = (
        "# R\n\n## A\n\n<!-- dwtui: id='unclosed -->\n"
        "```sh id=first optional=true nonsense=1\ntrue\n```\n"
    )
    result = import_markdown(text, "r.md")
    (step,) = result.data["phases"][0]["steps"]
    assert (step["id"], step["optional"]) == ("first", True)
    messages = {n.line: n.message for n in result.notes}
    assert "not imported" in messages[5]
    assert messages[6] == "field 'nonsense' not imported (not a shell field)"


def test_phase_level_option_groups_by_the_given_heading_level(tmp_path: Path) -> None:
    text = "# A\n\n## a1\n\n```sh\ntrue\n```\n\n# B\n\n## b1\n\n```sh\nfalse\n```\n"
    runbook = tmp_path / "r.md"
    runbook.write_text(text)
    detected = tomli.loads(dwtui("import", runbook).stdout)
    assert [p["title"] for p in detected["phases"]] == ["A", "B"]
    by_two = tomli.loads(dwtui("import", runbook, "--phase-level", "2").stdout)
    assert [p["title"] for p in by_two["phases"]] == ["a1", "b1"]


def test_sections_without_steps_are_reported_not_dropped() -> None:
    text = "# R\n\n## Notes\n\nJust words.\n\n## Do\n\n```sh\ntrue\n```\n"
    result = import_markdown(text, "r.md")
    assert [n.format("r.md") for n in result.notes] == [
        "r.md:3: section 'Notes' has no steps; not imported"
    ]


def test_unreadable_runbook_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = dwtui("import", tmp_path / "missing.md")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "missing.md" in result.stderr


def test_import_output_is_toml_the_loader_accepts(tmp_path: Path) -> None:
    from dwtui.checklist.loader import check_files

    for runbook in RUNBOOKS:
        path = tmp_path / f"{runbook.stem}.toml"
        path.write_text(to_toml(import_markdown(runbook.read_text(), runbook.name).data))
        assert check_files([path]) == []


def test_secret_placeholder_in_pasted_content_is_not_a_reference_in_the_description(
    tmp_path: Path,
) -> None:
    text = (
        "# R\n\n## Configure\n\n```yaml\ntoken: {{api_token}}\n```\n\n"
        '```sh\ncurl -H "X: $API_TOKEN" x\n```\n'
    )
    data = import_markdown(text, "r.md").data
    assert data["vars"]["api_token"]["secret"] is True
    paste, call = data["phases"][0]["steps"]
    assert "token: $${api_token}" in paste["description"]
    assert call["command"] == 'curl -H "X: ${api_token}" x'
    path = tmp_path / "r.toml"
    path.write_text(to_toml(data))
    assert dwtui("check", path).returncode == 0


def test_phase_comment_keeps_a_criteria_named_heading_a_phase() -> None:
    text = (
        '# R\n\n## Success criteria\n\n<!-- dwtui-phase\nid = "crit"\n-->\n\n'
        "* [ ] Confirm the numbers\n"
    )
    data = import_markdown(text, "r.md").data
    assert data["phases"][0]["id"] == "crit"
    assert data["phases"][0]["steps"][0]["title"] == "Confirm the numbers"
    assert "criteria" not in data


def test_rollback_sub_heading_inside_a_phase_is_a_scenario_until_the_next_heading() -> None:
    text = (
        "# R\n\n## Step 3 - Deploy\n\n```sh\n./deploy\n```\n\n### Roll back\n\n"
        "```sh\n./deploy --previous\n```\n\n### Verify\n\n```sh\n./smoke\n```\n"
    )
    data = import_markdown(text, "r.md").data
    assert data["phases"][0]["id"] == "deploy"
    assert [s["command"] for s in data["phases"][0]["steps"]] == ["./deploy", "./smoke"]
    (scenario,) = data["rollback"]["scenarios"]
    assert scenario["title"] == "Step 3 - Deploy: Roll back"
    assert scenario["steps"][0]["command"] == "./deploy --previous"


def test_a_sub_heading_followed_by_a_step_comment_titles_the_step_even_if_named_undo() -> None:
    text = (
        "# R\n\n## Change\n\n### Undo the change\n\n<!-- dwtui: id=undo -->\n\n```sh\n./undo\n```\n"
    )
    data = import_markdown(text, "r.md").data
    assert data["phases"][0]["steps"][0]["title"] == "Undo the change"
    assert "rollback" not in data


def test_untagged_fence_in_a_numbered_item_is_a_shell_step_titled_by_the_item() -> None:
    text = (
        "1. Restart:\n\n    ```\n    systemctl restart nginx\n    ```\n\n"
        "2. Check: `curl -fsS localhost/health`\n"
    )
    data = import_markdown(text, "restart.md").data
    assert [(s["title"], s["command"]) for s in data["phases"][0]["steps"]] == [
        ("Restart", "systemctl restart nginx"),
        ("Check", "curl -fsS localhost/health"),
    ]
    assert data["checklist"]["id"] == "restart"


def test_a_list_without_commands_is_prose() -> None:
    text = "# R\n\n## A\n\n- one thing\n- `staging-k8s` is an option\n\n```sh\ntrue\n```\n"
    (step,) = import_markdown(text, "r.md").data["phases"][0]["steps"]
    assert step["command"] == "true" and "- one thing" in step["description"]


def test_repeated_explicit_ids_are_made_unique_and_said(tmp_path: Path) -> None:
    text = (
        '## A\n\n<!-- dwtui-phase\nid = "p"\n-->\n\n```sh id=dup\ntrue\n```\n\n'
        '## B\n\n<!-- dwtui-phase\nid = "p"\n-->\n\n```sh id=dup\nfalse\n```\n'
    )
    result = import_markdown(text, "r.md")
    assert [p["id"] for p in result.data["phases"]] == ["p", "p-2"]
    assert [s["id"] for s in steps(result.data).values()] == ["dup", "dup-2"]
    assert "step id 'dup' already used (or invalid); imported as 'dup-2'" in [
        n.message for n in result.notes
    ]
    path = tmp_path / "r.toml"
    path.write_text(to_toml(result.data))
    assert dwtui("check", path).returncode == 0


def test_phase_level_one_makes_a_lone_title_heading_a_phase() -> None:
    text = "# Only\n\n## a\n\n```sh\ntrue\n```\n"
    assert [p["title"] for p in import_markdown(text, "r.md").data["phases"]] == ["a"]
    by_one = import_markdown(text, "r.md", phase_level=1).data
    assert [p["title"] for p in by_one["phases"]] == ["Only"]


def test_sql_block_of_several_statements_is_one_step_per_statement() -> None:
    text = (
        "## Check\n\n```sql\nBEGIN;\nselect count(*) from a;  -- rows\n"
        "select max(id)\n  from b\n where x = '<X>';\nCOMMIT;\n```\n"
    )
    result = import_markdown(text, "r.md")
    queries = [s["query"] for s in result.data["phases"][0]["steps"]]
    assert queries == [
        "select count(*) from a;  -- rows",
        "select max(id)\n  from b\n where x = %(x)s;",
    ]
    assert any(n.message.startswith("transaction control") for n in result.notes)


def test_sql_function_bodies_are_not_split() -> None:
    text = (
        "## F\n\n```sql\ncreate function f() returns int as $$\n  select 1;\n$$ "
        "language sql;\n```\n"
    )
    (step,) = import_markdown(text, "r.md").data["phases"][0]["steps"]
    assert step["query"].count(";") == 2
    assert "as $$$$\n  select 1;\n$$$$ language" in step["query"]  # dwtui's escape of $$


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ("# restart it\nsystemctl restart nginx\n", "shell"),
        ("GET https://x/health\n", "http"),
        ("SELECT 1;\n", "sql"),
        ("apiVersion: v1\nkind: Pod\n", "paste"),
        ("$ ls\nfile\n", "console"),
        ("NAME READY\nweb 1/1\n", "sample"),
    ],
)
def test_untagged_block_kinds_are_guessed(content: str, kind: str) -> None:
    from dwtui.markdown_io.commands import block_kind

    assert block_kind("", content, in_list=False) == kind


def test_windows_line_endings_import_like_unix_ones() -> None:
    runbook = FIXTURES / "db_vacuum_maintenance.md"
    unix = import_markdown(runbook.read_text(), runbook.name).data
    windows = import_markdown(runbook.read_text().replace("\n", "\r\n"), runbook.name).data
    assert windows == unix


def test_a_numbered_list_before_a_block_titles_the_step_by_the_item_leading_into_it() -> None:
    """It was a step titled "1" with id "1" (the list's number taken for a sentence)."""
    text = (
        "# Runbook\n\n## Prepare\n\n1. Tell the team in #ops.\n2. Check memory:\n\n"
        "```bash\nfree -m\n```\n\n## Deploy\n\n- be on the VPN\n- have the token\n\n"
        "```bash\n./deploy.sh\n```\n\n```bash\n./smoke.sh\n```\n"
    )
    data = import_markdown(text, "rb.md").data
    prepare, deploy = data["phases"]
    (memory,) = prepare["steps"]
    assert (memory["id"], memory["title"]) == ("check-memory", "Check memory")
    assert memory["description"] == "1. Tell the team in #ops.\n2. Check memory:"
    # a list that does not lead into the code gives no title: the phase's, then the command's
    assert [s["title"] for s in deploy["steps"]] == ["Deploy", "./smoke.sh"]


def test_the_table_note_says_whether_the_table_was_kept() -> None:
    kept = (
        "# R\n\n## Deploy\n\n```sh\n./deploy.sh\n```\n\n| host | role |\n|---|---|\n| a | web |\n"
    )
    result = import_markdown(kept, "r.md")
    (step,) = result.data["phases"][0]["steps"]
    assert "| host | role |" in step["description"]
    assert [n.message for n in result.notes] == ["table kept as text in a description"]
    dropped = kept + "\n## Contacts\n\n| who | phone |\n|---|---|\n| ops | 1 |\n"
    notes = [n.message for n in import_markdown(dropped, "r.md").notes]
    assert "table not imported" in notes
    assert "section 'Contacts' has no steps; not imported" in notes


@pytest.mark.parametrize("command", ["import", "export"])
def test_an_existing_output_file_is_replaced_only_with_force(command: str, tmp_path: Path) -> None:
    source = FIXTURES / "runme_readme.md"
    if command == "export":
        source = tmp_path / "c.toml"
        source.write_text(to_toml(load("runme_readme.md")), encoding="utf-8")
    output = tmp_path / "out"
    output.write_text("written by hand\n", encoding="utf-8")
    refused = dwtui(command, source, "-o", output)
    assert refused.returncode == 1
    assert refused.stderr == f"dwtui: {output} exists; not replaced (--force replaces it)\n"
    assert output.read_text(encoding="utf-8") == "written by hand\n"
    forced = dwtui(command, source, "-o", output, "--force")
    assert forced.returncode == 0, forced.stderr
    assert output.read_text(encoding="utf-8") != "written by hand\n"
