"""The command line: a wrong setting or an unreachable database is one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "BOT_TOKEN", "ADMIN_IDS"}}
    return subprocess.run(
        [sys.executable, str(ROOT / "anochat.py"), *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADMIN_IDS", "1,two"),
        ("BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://somewhere/db"),
        ("WEBHOOK_URL", "https://bot.example.com"),  # without WEBHOOK_SECRET
        ("PORT", "0"),
    ],
)
def test_a_wrong_setting_stops_the_app_with_one_line_naming_it(variable: str, value: str) -> None:
    result = run("migrate", **{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    expected = "WEBHOOK_SECRET" if variable == "WEBHOOK_URL" else variable
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line_not_a_traceback() -> None:
    result = run("migrate", DATABASE_URL="postgresql://nobody@/anochat?host=/nonexistent-socket-dir")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Database error (check DATABASE_URL):")
