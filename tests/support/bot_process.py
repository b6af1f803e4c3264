"""The real bot as an OS process (`python anochat.py`), pointed at the Bot API emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tgemulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[2]
E2E_TOKEN = "777000:E2E-TEST-TOKEN"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def webhook_settings(secret: str, port: int | None = None) -> dict[str, str]:
    """The settings of a bot process serving its webhook on a local port (a free one unless given)."""
    port = free_port() if port is None else port
    return {"WEBHOOK_URL": f"http://127.0.0.1:{port}", "WEBHOOK_SECRET": secret, "HOST": "127.0.0.1", "PORT": str(port)}


async def anochat_check(database_url: str) -> tuple[int, str]:
    """`python anochat.py check` on that database, as an operator runs it: exit status and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "anochat.py"),
        "check",
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def terminate(process: asyncio.subprocess.Process, timeout: float) -> int:
    """SIGTERM, as a platform does; SIGKILL if it has not exited after `timeout`. The exit status."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


class BotProcess:
    """Starts, stops and kills `python anochat.py` with the given settings."""

    def __init__(self, emulator: BotAPIEmulator, database_url: str, log_path: Path, **settings: str) -> None:
        self.emulator = emulator
        self.database_url = database_url
        self.log_path = log_path
        self.settings = settings
        self.process: asyncio.subprocess.Process | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("WEBHOOK_", "ADMIN_"))}
        env.update(
            BOT_TOKEN=self.emulator.token,
            TELEGRAM_API_URL=self.emulator.base_url,
            DATABASE_URL=self.database_url,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.settings)
        return env

    async def start(self, *, wait_ready: bool = True) -> None:
        commands_before = self.emulator.calls["setMyCommands"]
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "anochat.py"), "run", cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        log.close()
        if wait_ready:
            # setMyCommands is the last call before the bot takes updates
            await self._wait(lambda: self.emulator.calls["setMyCommands"] > commands_before, "bot start")

    async def _wait(self, ready: object, what: str, timeout: float = 30.0) -> None:
        assert callable(ready)
        deadline = asyncio.get_running_loop().time() + timeout
        while not ready():
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"the bot exited with {self.process.returncode}; see {self.log_path}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{what} took longer than {timeout}s; see {self.log_path}")
            await asyncio.sleep(0.05)

    async def stop(self, timeout: float = 25.0) -> int:
        """SIGTERM, as a platform does; returns the exit status."""
        assert self.process is not None
        return await terminate(self.process, timeout)

    async def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_serving(self, url: str, timeout: float = 30.0) -> None:
        """Wait until the bot's own HTTP server answers `url` with 200 (webhook mode)."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"the bot exited with {self.process.returncode}; see {self.log_path}")
                try:
                    async with http.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"{url} did not answer within {timeout}s; see {self.log_path}")
                await asyncio.sleep(0.05)


@asynccontextmanager
async def running_bot(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path, **settings: str
) -> AsyncIterator[BotProcess]:
    """The bot process for one test; at the end it must stop on SIGTERM, cleanly."""
    process = BotProcess(emulator, database_url, tmp_path / "bot.log", **settings)
    await process.start()
    try:
        yield process
    finally:
        status = await process.stop()
    assert "Traceback" not in process.log(), process.log()
    assert status == 0, process.log()


@asynccontextmanager
async def running_webhook_bot(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path, secret: str
) -> AsyncIterator[tuple[BotProcess, str]]:
    """`running_bot` in webhook mode on a free local port, once it serves: the process and its base URL."""
    settings = webhook_settings(secret)
    base = settings["WEBHOOK_URL"]
    async with running_bot(emulator, database_url, tmp_path, **settings) as bot:
        await bot.wait_serving(f"{base}/healthz")
        yield bot, base
