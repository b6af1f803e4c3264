"""The command line: a wrong setting or an unreachable database is one clear line, never a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.bot_process import free_port

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


def test_the_sandbox_with_an_unreachable_database_names_database_url() -> None:
    result = run("sandbox", DATABASE_URL="postgresql://nobody@/anochat?host=/nonexistent-socket-dir")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Database error (check DATABASE_URL):"), line


def test_log_level_is_accepted_in_lower_case() -> None:
    result = run("migrate", LOG_LEVEL="debug", DATABASE_URL="postgresql://nobody@/anochat?host=/nonexistent-socket-dir")
    assert result.returncode == 3  # past the settings: the database is what is missing
    assert "LOG_LEVEL" not in result.stderr


def test_help_describes_each_command_and_the_exit_statuses() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command, words in {
        "run": "long polling",
        "migrate": "migrations",
        "sandbox": "simulated Telegram",
        "check": "invariant",
    }.items():
        assert any(line.strip().startswith(command + " ") for line in result.stdout.splitlines()), command
        assert words in " ".join(result.stdout.split()), (command, result.stdout)
    assert "exit status" in result.stdout


# --- the token, as Telegram sees it ----------------------------------------------------------------


@asynccontextmanager
async def telegram_answering(status: int, description: str) -> AsyncIterator[str]:
    """A Bot API server that answers every call with this error, as Telegram does; its URL."""

    async def answer(_request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def run_async(*args: str, **env: str) -> tuple[int, str]:
    """Like `run`, without blocking the event loop that serves the fake Telegram; (status, stderr)."""
    clean = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "BOT_TOKEN", "ADMIN_IDS"}}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "anochat.py"),
        *args,
        env={**clean, **env},
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


@pytest.mark.parametrize(
    ("status", "description"),
    [(401, "Unauthorized"), (404, "Not Found")],  # revoked or wrong; shaped like a token but never issued
)
@pytest.mark.parametrize("webhook", [False, True])
async def test_a_token_telegram_refuses_is_one_line_naming_bot_token(
    status: int, description: str, webhook: bool
) -> None:
    mode = {"WEBHOOK_URL": "https://bot.example.org", "WEBHOOK_SECRET": "s3cret"} if webhook else {}
    async with telegram_answering(status, description) as url:
        code, stderr = await run_async(
            "run", BOT_TOKEN="123456789:AAlooks-right-but-is-not", TELEGRAM_API_URL=url, **mode
        )
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line.startswith("BOT_TOKEN:") and description in line, stderr


def test_an_unreachable_telegram_is_one_line_naming_telegram_api_url() -> None:
    result = run("run", BOT_TOKEN="123456789:AAwhatever", TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 3
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Cannot reach Telegram") and "TELEGRAM_API_URL" in line, result.stderr
