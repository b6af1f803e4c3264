"""The invariant checker: every broken rule in the database, counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from roulette.storage.queries import sql

_CHECK_INVARIANTS = sql("check_invariants")


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    rows: int


async def find_violations(connection: asyncpg.Connection[Any] | asyncpg.Pool[Any]) -> list[Violation]:
    """Every invariant with at least one offending row (an empty list means all hold)."""
    records = await connection.fetch(_CHECK_INVARIANTS)
    return [Violation(record["invariant"], record["violations"]) for record in records if record["violations"]]


async def run_check(database_url: str) -> int:
    """Print the result; exit status 1 when anything is broken."""
    connection = await asyncpg.connect(database_url)
    try:
        records = await connection.fetch(_CHECK_INVARIANTS)
    finally:
        await connection.close()
    broken = 0
    for record in records:
        mark = "ok  " if record["violations"] == 0 else "FAIL"
        broken += record["violations"]
        print(f"{mark} {record['invariant']}: {record['violations']}")
    print("all invariants hold" if broken == 0 else f"{broken} violation(s)")
    return 0 if broken == 0 else 1
