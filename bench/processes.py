"""The bots under test as OS processes, and what they cost (CPU seconds, resident memory)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from tests.support.bot_process import terminate
from tgemulator import BotAPIEmulator

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "bench-webhook-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(process: psutil.Process, *, with_reaped_children: bool = False) -> float:
    times = process.cpu_times()
    total = times.user + times.system
    if with_reaped_children:
        total += times.children_user + times.children_system
    return total


def peak_rss(pid: int) -> int | None:
    """The kernel's high-water mark of the process's resident memory (Linux), in bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class BotProcess:
    """One bot process pointed at the emulator: started, waited for, measured, stopped."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: Mapping[str, str],
        log_path: Path,
        ready: Callable[[], bool],
        *,
        webhook_url: str | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self.ready = ready
        self.webhook_url = webhook_url
        self.process: asyncio.subprocess.Process | None = None
        self.psutil: psutil.Process | None = None
        # (seconds since start, resident bytes), every half second
        self.rss_samples: list[tuple[float, int]] = []
        self._sampler: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 60.0) -> None:
        if self.process is not None:
            raise RuntimeError(f"{self.name} was started before")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        self.psutil = psutil.Process(self.process.pid)
        deadline = time.monotonic() + timeout
        while not self.ready() or not await self._healthy():
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} was not ready after {timeout}s; see {self.log_path}")
            await asyncio.sleep(0.05)
        self._sampler = asyncio.create_task(self._sample_rss())

    async def _healthy(self) -> bool:
        if self.webhook_url is None:
            return True
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(self.webhook_url + "/healthz", timeout=aiohttp.ClientTimeout(total=1)) as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def _sample_rss(self) -> None:
        assert self.psutil is not None
        started = time.monotonic()
        while True:
            try:
                self.rss_samples.append((time.monotonic() - started, self.psutil.memory_info().rss))
            except psutil.Error:
                return
            await asyncio.sleep(0.5)

    def cpu_seconds(self) -> float:
        assert self.psutil is not None
        return cpu_seconds(self.psutil)

    def rss(self) -> int:
        assert self.psutil is not None
        rss: int = self.psutil.memory_info().rss
        return rss

    def peak_rss(self) -> int:
        return peak_rss(self.pid) or max((rss for _at, rss in self.rss_samples), default=0)

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a platform does; SIGKILL if it does not exit in time."""
        if self._sampler is not None:
            self._sampler.cancel()
        assert self.process is not None
        return await terminate(self.process, timeout)

    def log_has_tracebacks(self) -> bool:
        return "Traceback" in self.log_path.read_text(errors="replace")


def _base_env(emulator: BotAPIEmulator) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WEBHOOK_", "ADMIN_", "FLOOD_", "DB_POOL_")) and key not in ("HOST", "PORT")
    }
    env.update(BOT_TOKEN=emulator.token, TELEGRAM_API_URL=emulator.base_url, PYTHONUNBUFFERED="1")
    return env


def _serve_webhook(env: dict[str, str]) -> str:
    """Have the process serve its webhook on a free port; the URL Telegram posts to."""
    port = free_port()
    env.update(WEBHOOK_URL=f"http://127.0.0.1:{port}", WEBHOOK_SECRET=WEBHOOK_SECRET, HOST="127.0.0.1", PORT=str(port))
    return env["WEBHOOK_URL"]


def anochat_process(
    emulator: BotAPIEmulator, database_url: str, log_path: Path, *, webhook: bool, name: str = "anochat"
) -> BotProcess:
    """`python anochat.py run`, with the flood guard opened wide so that it does not cap the load.

    The flood guard still runs its query on every message; only its limit is raised.
    """
    env = _base_env(emulator)
    env.update(DATABASE_URL=database_url, LOG_LEVEL="INFO", FLOOD_MAX_MESSAGES="10000", FLOOD_WINDOW_SECONDS="1")
    webhook_url = _serve_webhook(env) if webhook else None
    commands_before = emulator.calls["setMyCommands"]
    polls_before = emulator.calls["getUpdates"]

    def ready() -> bool:
        # setMyCommands (three calls: English, default, Russian) is the last thing before updates are taken
        if emulator.calls["setMyCommands"] < commands_before + 3:
            return False
        return webhook or emulator.calls["getUpdates"] > polls_before

    argv = [sys.executable, str(ROOT / "anochat.py"), "run"]
    return BotProcess(name, argv, env, log_path, ready, webhook_url=webhook_url)


def baseline_process(emulator: BotAPIEmulator, pairs_path: Path, log_path: Path, *, webhook: bool) -> BotProcess:
    env = _base_env(emulator)
    env.update(BASELINE_PAIRS=str(pairs_path))
    webhook_url = _serve_webhook(env) if webhook else None
    webhooks_before = emulator.calls["setWebhook"]
    polls_before = emulator.calls["getUpdates"]

    def ready() -> bool:
        if webhook:
            return emulator.calls["setWebhook"] > webhooks_before
        return emulator.calls["getUpdates"] > polls_before

    argv = [sys.executable, str(ROOT / "bench" / "baseline_bot.py")]
    return BotProcess("baseline", argv, env, log_path, ready, webhook_url=webhook_url)


@dataclass(frozen=True, slots=True)
class CpuReading:
    at: float
    bots: float
    bench: float
    postgres: float | None


class CpuMeter:
    """CPU seconds of the bots, of this process (the emulator and the load) and of PostgreSQL."""

    def __init__(self, bots: list[BotProcess], postmaster_pid: int | None) -> None:
        self._bots = bots
        self._self = psutil.Process()
        self._postmaster: psutil.Process | None = None
        if postmaster_pid is not None:
            try:
                self._postmaster = psutil.Process(postmaster_pid)
            except psutil.Error:
                self._postmaster = None

    def read(self) -> CpuReading:
        return CpuReading(
            at=time.perf_counter(),
            bots=sum(bot.cpu_seconds() for bot in self._bots),
            bench=cpu_seconds(self._self),
            postgres=self._postgres(),
        )

    def _postgres(self) -> float | None:
        """The server's own time, its exited backends' (reaped by it) and its live backends'."""
        if self._postmaster is None:
            return None
        try:
            total = cpu_seconds(self._postmaster, with_reaped_children=True)
            for child in self._postmaster.children():
                try:
                    total += cpu_seconds(child)
                except psutil.Error:
                    continue
            return total
        except psutil.Error:
            return None


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU used over a stretch of wall time, as a share of one core (1.0 = one core busy)."""

    seconds: float
    bots: float
    bench: float
    postgres: float | None
    bots_cpu_seconds: float

    @classmethod
    def between(cls, start: CpuReading, end: CpuReading) -> CpuUse:
        wall = max(end.at - start.at, 1e-9)
        postgres = None
        if start.postgres is not None and end.postgres is not None:
            postgres = round((end.postgres - start.postgres) / wall, 2)
        return cls(
            seconds=round(wall, 2),
            bots=round((end.bots - start.bots) / wall, 2),
            bench=round((end.bench - start.bench) / wall, 2),
            postgres=postgres,
            bots_cpu_seconds=end.bots - start.bots,
        )


async def record_profile(pid: int, seconds: float, collapsed_path: Path) -> bool:
    """Sample the process with py-spy for `seconds`, as collapsed stacks; False if py-spy is missing."""
    import shutil

    if shutil.which("py-spy") is None:
        return False
    collapsed_path.parent.mkdir(parents=True, exist_ok=True)
    spy = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", "250",
        "--format", "raw", "--output", str(collapsed_path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await spy.wait() == 0


def profile_summary(collapsed_path: Path, top: int = 40) -> list[tuple[float, str]]:
    """(share of the main thread's busy samples, frame) for the frames that take the most, callees included.

    Samples in the event loop's own wait (the selector) and in idle worker threads are left out:
    they are waiting, not work.
    """
    import re
    from collections import Counter

    inclusive: Counter[str] = Counter()
    busy = 0
    for line in collapsed_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        if any(frame.startswith(("Thread._bootstrap", "EpollSelector.select")) for frame in frames):
            continue
        busy += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    return [(round(samples / busy, 3), frame) for frame, samples in inclusive.most_common(top)] if busy else []
