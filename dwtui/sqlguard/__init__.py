"""What a `sql` step's query is, before anything is sent: pure text and parse-tree analysis.

- `template.py`   `${name}` and `%(name)s` in a query as bound-parameter slots, never text.
- `statement.py`  exactly one statement, parsed by PostgreSQL's own parser (libpg_query).
- `rules.py`      what a read-only (or a write) step may run; `analyse` puts the three together.
- `functions.py`  functions known to write or to act outside the transaction.
"""

# Nothing is imported here: `dwtui.variables` needs only `template` (its `BoundQuery`), and
# the package's rules and parser wait until a query is checked.
