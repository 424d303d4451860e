"""What a `sql` step's query is, before anything is sent: pure text and parse-tree analysis.

- `template.py`   `${name}` and `%(name)s` in a query as bound-parameter slots, never text.
- `statement.py`  exactly one statement, parsed by PostgreSQL's own parser (libpg_query).
- `rules.py`      what a read-only (or a write) step may run; `analyse` puts the three together.
- `functions.py`  functions known to write or to act outside the transaction.
"""

from dwtui.sqlguard.rules import Analysis, analyse
from dwtui.sqlguard.statement import SqlRefusal
from dwtui.sqlguard.template import BoundQuery, QueryTemplate, split

__all__ = ["Analysis", "BoundQuery", "QueryTemplate", "SqlRefusal", "analyse", "split"]
