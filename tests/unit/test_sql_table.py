"""The bounded plain-text table the sql step writes to its log."""

from __future__ import annotations

from dwtui.actions._table import MAX_CELL, cell, format_table


def test_table_aligns_columns_and_counts_rows() -> None:
    text = format_table(["id", "name"], [(1, "alpha"), (22, None)], total=2)
    assert text.splitlines() == [
        "id | name",
        "---+------",
        "1  | alpha",
        "22 | NULL",
        "(2 rows)",
    ]


def test_table_says_how_many_rows_were_cut() -> None:
    text = format_table(["n"], [(i,) for i in range(3)], total=10)
    assert text.splitlines()[-1] == "(10 rows; 7 not shown, max_rows = 3)"
    assert format_table(["n"], [(1,)], total=1).splitlines()[-1] == "(1 row)"


def test_cells_stay_on_one_line_and_are_bounded() -> None:
    assert cell("a\nb\r\nc") == "a b  c"
    long = cell("x" * 500)
    assert len(long) == MAX_CELL
    assert long.endswith("…")
