"""What the reliability suite shares: table snapshots, the invariant check and the printed figures."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from roulette.invariants import find_violations

# Every table holding an effect, each row as JSON without its bookkeeping timestamp.
SNAPSHOT_QUERIES = (
    "SELECT (to_jsonb(t) - 'updated_at')::text FROM users t",
    "SELECT to_jsonb(t)::text FROM search_queue t",
    "SELECT to_jsonb(t)::text FROM chats t",
    "SELECT to_jsonb(t)::text FROM chat_participants t",
    "SELECT to_jsonb(t)::text FROM messages t",
    "SELECT to_jsonb(t)::text FROM message_versions t",
    "SELECT to_jsonb(t)::text FROM ratings t",
    "SELECT to_jsonb(t)::text FROM reports t",
    "SELECT to_jsonb(t)::text FROM blocks t",
    "SELECT to_jsonb(t)::text FROM admin_audit t",
    "SELECT (to_jsonb(t) - 'updated_at')::text FROM fsm_state t",
)


async def snapshot(pool: asyncpg.Pool[Any]) -> list[list[str]]:
    """Every row of every table with effects, in a stable order."""
    return [sorted(record[0] for record in await pool.fetch(query)) for query in SNAPSHOT_QUERIES]


class FiguresReport:
    """Collects each reliability test's figures and prints them at the end of the run."""

    NAME = "anochat-reliability-figures"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section("reliability figures")
            for line in self.lines:
                terminalreporter.write_line(line)


def report(config: pytest.Config, test: str, **figures: object) -> None:
    """Print a test's figures now (visible with -s) and again in the run's summary."""
    plugin = config.pluginmanager.get_plugin(FiguresReport.NAME)
    if plugin is None:
        plugin = FiguresReport()
        config.pluginmanager.register(plugin, FiguresReport.NAME)
    line = f"{test}: " + ", ".join(f"{name.replace('_', ' ')}={value}" for name, value in figures.items())
    print(line)
    plugin.lines.append(line)


async def no_violations(pool: asyncpg.Pool[Any]) -> int:
    """Assert every database invariant holds; returns the number of violations (0)."""
    violations = await find_violations(pool)
    assert violations == [], violations
    return 0
