"""Every SQL statement of the app, one `.sql` file each, read once at import.

A missing file fails at import, so a typo in a query name never reaches production.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def _load() -> MappingProxyType[str, str]:
    if not SQL_DIR.is_dir():
        raise RuntimeError(f"SQL folder not found: {SQL_DIR}")
    return MappingProxyType({path.stem: path.read_text(encoding="utf-8") for path in sorted(SQL_DIR.glob("*.sql"))})


_QUERIES = _load()


def sql(name: str) -> str:
    """The text of `sql/<name>.sql`; raises KeyError at import time for an unknown name."""
    return _QUERIES[name]
