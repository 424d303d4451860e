"""Remembered description renderings: the same lines as Rich's Markdown at the same width,
no Markdown import on a start that knows them, and a cache nobody else can forge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment

from dwtui.checklist.loader import load_checklist
from dwtui.widgets import description
from dwtui.widgets.description import Description
from tests.helpers.paths import REPO_ROOT

RUNBOOKS = sorted((REPO_ROOT / "checklists").rglob("*.toml"))
TEXT = "Run **this** with `kubectl`:\n\n1. first\n2. second\n\n```bash\necho hi\n```\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh cache directory of this test's own (and nothing remembered in the process)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("DWTUI_CACHE_DIR", str(directory))
    description.forget()
    yield directory
    description.forget()


def rendered(console: Console, renderable: object, width: int) -> list[Segment]:
    return list(console.render(renderable, console.options.update_width(width)))


def fresh(console: Console, text: str, width: int) -> list[Segment]:
    markdown = Markdown(text, code_theme="ansi_dark", inline_code_theme="ansi_dark")
    return rendered(console, markdown, width)


def descriptions() -> list[str]:
    texts = []
    for path in RUNBOOKS:
        try:
            checklist = load_checklist(path)
        except Exception:  # an include-only fragment is not a checklist of its own
            continue
        texts += [s.description for s in checklist.iter_steps(include_rollback=True)]
    return [t for t in texts if t and t.strip()]


def test_every_shipped_description_comes_back_as_rich_renders_it(cache: Path) -> None:
    console = Console(width=120, color_system="truecolor", force_terminal=True)
    texts = descriptions()
    assert len(texts) > 80  # the three runbooks and the examples
    for width in (38, 77):
        for text in texts:
            assert rendered(console, Description(text), width) == fresh(console, text, width)
    description.save()
    assert (cache / description.FILE_NAME).is_file()
    description.forget()  # as a new process would: from the file
    for width in (38, 77):
        for text in texts:
            assert rendered(console, Description(text), width) == fresh(console, text, width)


def test_a_start_that_knows_the_description_imports_no_markdown(cache: Path) -> None:
    console = Console(width=100)
    rendered(console, Description(TEXT), 60)
    description.save()
    probe = (
        "import sys; from rich.console import Console;"
        "from dwtui.widgets.description import Description;"
        "c = Console(width=100);"
        "o = c.options.update_width(int(sys.argv[2]));"
        "lines = list(c.render(Description(sys.argv[1]), o));"
        "print('echo hi' in ''.join(s.text for s in lines),"
        " any(m.startswith(('markdown_it', 'pygments', 'rich.markdown')) for m in sys.modules))"
    )
    env = {**os.environ, "DWTUI_CACHE_DIR": str(cache)}
    known = subprocess.run(
        [sys.executable, "-c", probe, TEXT, "60"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert known.stdout.split() == ["True", "False"], known.stderr
    other_width = subprocess.run(
        [sys.executable, "-c", probe, TEXT, "50"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert other_width.stdout.split() == ["True", "True"], other_width.stderr


def test_a_forged_or_damaged_cache_is_not_shown(cache: Path) -> None:
    console = Console(width=100)
    rendered(console, Description(TEXT), 60)
    description.save()
    file = cache / description.FILE_NAME
    data = json.loads(file.read_text(encoding="utf-8"))
    for key in data["entries"]:
        data["entries"][key] = [["FORGED", ""]]
    file.write_text(json.dumps(data), encoding="utf-8")
    description.forget()
    assert "FORGED" in "".join(s.text for s in rendered(console, Description(TEXT), 60))

    os.chmod(file, 0o664)  # writable by the group: not trusted
    description.forget()
    assert "FORGED" not in "".join(s.text for s in rendered(console, Description(TEXT), 60))

    file.write_bytes(b"\0not json")
    os.chmod(file, 0o600)
    description.forget()
    assert rendered(console, Description(TEXT), 60) == fresh(console, TEXT, 60)


def test_a_cache_of_other_renderers_is_dropped_whole(cache: Path) -> None:
    console = Console(width=100)
    rendered(console, Description(TEXT), 60)
    description.save()
    file = cache / description.FILE_NAME
    data = json.loads(file.read_text(encoding="utf-8"))
    data["renderers"] = "an older rich"
    for key in data["entries"]:
        data["entries"][key] = [["STALE", ""]]
    file.write_text(json.dumps(data), encoding="utf-8")
    description.forget()
    assert rendered(console, Description(TEXT), 60) == fresh(console, TEXT, 60)
