"""The dialogs' stylesheet (`dialogs.tcss`): dwtui's dialogs and other screens (all but the
main screen and its scenario view) name it as their `CSS_PATH`, and the app adds it ahead,
once the session's first frame is painted (or before the picker).

Parsing those rules on the way to the first frame cost ≈ 3-4 ms for screens not yet open.
Left to Textual, the first screen naming a new `CSS_PATH` re-parses every source of the
app's stylesheet and restyles every widget (≈ 25 ms on opening the first dialog); added
ahead here, only this file is parsed and the screens find it there.
"""

from __future__ import annotations

from pathlib import Path

from textual.css.stylesheet import Stylesheet

#: Absolute, so every screen's `CSS_PATH` names the very source added here.
DIALOG_CSS = Path(__file__).resolve().parent / "dialogs.tcss"


def add_dialog_css(stylesheet: Stylesheet) -> None:
    """Add and parse the dialogs' rules, unless the stylesheet has them already. (They
    match no widget of the main screen: nothing shown is restyled.)"""
    source = str(DIALOG_CSS)
    if stylesheet.has_source(source):
        return
    stylesheet.add_source(
        DIALOG_CSS.read_text(encoding="utf-8"), read_from=(source, ""), is_default_css=False
    )
    stylesheet.parse()  # the other sources' rules come from the stylesheet's parse cache
