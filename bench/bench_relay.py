"""Relay throughput and latency, pairing end to end, and what it costs — against a minimal bot.

    python bench/bench_relay.py [--quick] [--json PATH]

Every bot runs as its own OS process against a Bot API emulator in this process: Anochat
(`python anochat.py run`) and the baseline (`bench/baseline_bot.py`: aiogram, partners in a
dict, nothing else), each on an emulator of its own so that both stay up and are measured in
turns (A B B A: a drift in the shared machine's speed hits both alike). The database is a
throwaway one, created and dropped here, on the server in BENCH_DATABASE_URL or DATABASE_URL,
else on the embedded PostgreSQL in .data/bench-postgres, with the server's own durability
settings (reported with the results). Before anything runs, the database is given a history
(--history: 100,000 users whose chats ended an hour ago, with 1,000,000 messages), so that the
bot's statements meet tables of a bot that has been running, not empty ones.

  1. Polling. The relay users (--pairs pairs) are paired through Anochat with /search. Pairing
     end to end: --pairing-users users of mixed wishes press /search at once; the database is
     then checked for lost and double matches and broken invariants. Saturation throughput
     (closed loop) in --rounds rounds (at least 3), Anochat and the baseline in turns (A B B A
     A B): each round's ratio Anochat / baseline, and their median and spread. Latency at fixed
     offered loads (open loop), in turns. Then, unless --quick, Anochat relays until it has
     relayed --long messages in all, for its peak memory.
  2. Webhook (each bot serves a local port; the emulator posts updates to it): the same.
  3. Anochat with 1, 2 and 3 webhook workers over one database (the emulator spreads chats over
     them), in turns: throughput; then pairing over 2 and 3 workers, with the checks.
Only ratios within one run mean much: the machine is shared and its speed varies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `roulette` and `bench` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.databases import add_history  # noqa: E402
from bench.pairing_e2e import active_pairs  # noqa: E402
from bench.pairing_e2e import add_easygoing_users  # noqa: E402
from bench.pairing_e2e import add_mixed_users  # noqa: E402
from bench.pairing_e2e import end_chats_of  # noqa: E402
from bench.pairing_e2e import search_all  # noqa: E402
from bench.processes import BotProcess  # noqa: E402
from bench.processes import CpuMeter  # noqa: E402
from bench.processes import CpuReading  # noqa: E402
from bench.processes import CpuUse  # noqa: E402
from bench.processes import anochat_process  # noqa: E402
from bench.processes import baseline_process  # noqa: E402
from bench.processes import profile_summary  # noqa: E402
from bench.processes import record_profile  # noqa: E402
from bench.relay_load import ClosedLoopStretch  # noqa: E402
from bench.relay_load import OfferedLoad  # noqa: E402
from bench.relay_load import OpenLoopStretch  # noqa: E402
from bench.relay_load import Throughput  # noqa: E402
from bench.relay_load import Traffic  # noqa: E402
from bench.relay_load import percentile  # noqa: E402
from roulette.invariants import find_violations  # noqa: E402
from roulette.storage.admin import create_database  # noqa: E402
from roulette.storage.admin import database_name  # noqa: E402
from roulette.storage.admin import drop_database  # noqa: E402
from roulette.storage.admin import with_database  # noqa: E402
from roulette.storage.embedded import start_embedded_postgres  # noqa: E402
from roulette.storage.migrations import apply_migrations  # noqa: E402
from roulette.storage.pool import create_pool  # noqa: E402
from tgemulator import BotAPIEmulator  # noqa: E402
from tgemulator import EmulatorConfig  # noqa: E402

DEFAULT_JSON = ROOT / "bench" / "results" / "relay.json"
LOG_DIR = ROOT / ".data" / "bench-logs"
TOKEN = "424242:BENCH-RELAY"
RELAY_USER_IDS_FROM = 1_000_001
PAIRING_USER_IDS_FROM = 2_000_001
MB = 1024 * 1024

# What we hold Anochat to (see docs/performance.md).
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_P99_MS = 25.0
TARGET_P99_AT = 300
TARGET_RSS_MB = 120.0
TARGET_RSS_AFTER = 100_000


@dataclass(frozen=True)
class Plan:
    pairs: int = 50
    in_flight_per_user: int = 4
    # stretches per side and measurement: 2 is A B B A, 1 is A B
    repeats: int = 2
    # saturated stretches per side in polling and in webhook mode, in turns: one ratio each
    rounds: int = 3
    saturation_warmup: float = 1.5
    saturation_seconds: float = 4.0
    loads: tuple[int, ...] = (100, 300, 600)
    load_warmup: float = 0.5
    load_seconds: float = 3.5
    pairing_users: int = 1000
    long_messages: int = TARGET_RSS_AFTER
    workers: tuple[int, ...] = (2, 3)
    seed: int = 1
    # what the bot has seen before the run: users with ended chats, and their messages
    history_users: int = 100_000
    history_messages: int = 1_000_000

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            repeats=1,
            saturation_warmup=1.0,
            saturation_seconds=3.0,
            load_warmup=0.5,
            load_seconds=2.5,
            pairing_users=300,
            long_messages=0,
        )


@dataclass
class Run:
    """What one bot configuration did."""

    name: str
    processes: int
    throughput: dict[str, Any] | None = None
    # msg/s of each saturated stretch, in the order run (round by round against the other side)
    stretches_per_second: list[float] = field(default_factory=list)
    cpu: dict[str, Any] | None = None
    cpu_seconds_per_1000: float | None = None
    loads: list[dict[str, Any]] = field(default_factory=list)
    pairing: dict[str, Any] | None = None
    long: dict[str, Any] | None = None
    # messages relayed while the run's processes were up (scaled runs share their workers and
    # traffic: there, only the run's own measured stretches)
    relayed_total: int = 0
    rss_mb_at_start: float | None = None
    rss_mb_peak: float | None = None
    # the first process's resident memory over its life: [seconds, MB], about 40 points
    rss_mb_over_time: list[tuple[float, float]] = field(default_factory=list)
    invariant_violations: int | None = None
    tracebacks_in_log: bool = False


# --- the database ------------------------------------------------------------------------


def server_url() -> tuple[str, str]:
    """(URL of the server's `postgres` database, where it came from)."""
    for variable in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(variable)
        if url:
            return with_database(url, "postgres"), variable
    return with_database(start_embedded_postgres(ROOT / ".data" / "bench-postgres"), "postgres"), "embedded"


async def describe_server(url: str, local: bool) -> tuple[dict[str, str], int | None]:
    """The server's version and durability settings, and its postmaster's pid when it runs here."""
    import psutil

    connection = await asyncpg.connect(url)
    try:
        settings = {
            name: str(await connection.fetchval(f"SHOW {name}"))
            for name in ("server_version", "fsync", "synchronous_commit", "max_connections", "shared_buffers")
        }
        postmaster = None
        if local:
            # the backend serving this connection is a child of the postmaster (ask while it lives)
            try:
                parent = psutil.Process(await connection.fetchval("SELECT pg_backend_pid()")).parent()
                postmaster = parent.pid if parent is not None else None
            except psutil.Error:
                postmaster = None
    finally:
        await connection.close()
    return settings, postmaster


# --- sides: one bot configuration each, measured in turns ---------------------------------


@dataclass
class Side:
    """A bot configuration under measurement: its emulator, its processes, its load."""

    run: Run
    emulator: BotAPIEmulator
    traffic: Traffic
    bots: list[BotProcess]
    postmaster: int | None
    # called before each of this side's stretches (e.g. to pick the webhook workers)
    before_stretch: Callable[[], None] | None = None
    shares_traffic: bool = False
    saturation: list[ClosedLoopStretch] = field(default_factory=list)
    loads: dict[int, list[OpenLoopStretch]] = field(default_factory=dict)
    _readings: list[CpuReading] = field(default_factory=list)
    _relayed_at_start: int = 0

    def mark(self) -> None:
        """Called as a measured stretch starts and as it ends."""
        self._readings.append(CpuMeter(self.bots, self.postmaster).read())

    def cpu(self) -> tuple[CpuUse, float] | None:
        """CPU over the saturated stretches, and the bots' CPU seconds in them."""
        if len(self._readings) < 2:
            return None
        uses = [
            CpuUse.between(start, end) for start, end in zip(self._readings[::2], self._readings[1::2], strict=False)
        ]
        wall = sum(use.seconds for use in uses)
        postgres = [use.postgres for use in uses]

        def share(values: Sequence[float]) -> float:
            return round(sum(value * use.seconds for value, use in zip(values, uses, strict=True)) / wall, 2)

        bots_seconds = sum(use.bots_cpu_seconds for use in uses)
        pooled = CpuUse(
            seconds=round(wall, 2),
            bots=share([use.bots for use in uses]),
            bench=share([use.bench for use in uses]),
            postgres=None if None in postgres else share([value or 0.0 for value in postgres]),
            bots_cpu_seconds=bots_seconds,
        )
        return pooled, bots_seconds

    async def start(self) -> None:
        for bot in self.bots:
            if bot.process is None:
                await bot.start()
        self.run.rss_mb_at_start = round(max(bot.rss() for bot in self.bots) / MB, 1)
        self._relayed_at_start = self.traffic.relayed

    def relayed_since_start(self) -> int:
        return self.traffic.relayed - self._relayed_at_start

    def summarize(self, in_flight: int) -> None:
        """Pool the stretches into the run's figures (before the processes stop: memory is read here)."""
        run = self.run
        run.relayed_total = (
            sum(stretch.relayed for stretch in self.saturation) if self.shares_traffic else self.relayed_since_start()
        )
        run.rss_mb_peak = round(max(bot.peak_rss() for bot in self.bots) / MB, 1)
        samples = self.bots[0].rss_samples
        step = max(1, len(samples) // 40)
        run.rss_mb_over_time = [(round(at, 1), round(rss / MB, 1)) for at, rss in samples[::step]]
        if self.saturation:
            throughput = Throughput.pooled(in_flight, self.saturation)
            run.throughput = asdict(throughput)
            run.stretches_per_second = [
                round(stretch.relayed / max(stretch.seconds, 1e-9), 1) for stretch in self.saturation
            ]
            found = self.cpu()
            if found is not None:
                use, bots_seconds = found
                run.cpu = {key: value for key, value in asdict(use).items() if key != "bots_cpu_seconds"}
                run.cpu_seconds_per_1000 = round(bots_seconds / max(throughput.relayed, 1) * 1000, 3)
        run.loads = [asdict(OfferedLoad.pooled(stretches)) for stretches in self.loads.values()]


async def stop_bots(bots: Sequence[BotProcess], runs: Sequence[Run]) -> None:
    tracebacks = False
    for bot in bots:
        if bot.process is not None:
            await bot.stop()
            tracebacks = tracebacks or bot.log_has_tracebacks()
    for run in runs:
        run.tracebacks_in_log = run.tracebacks_in_log or tracebacks


def in_turns(sides: Sequence[Side], repeats: int) -> list[Side]:
    """A B B A ...: a slow drift of the machine's speed hits both sides alike."""
    order: list[Side] = []
    for repeat in range(repeats):
        order.extend(sides if repeat % 2 == 0 else list(reversed(sides)))
    return order


class Bench:
    def __init__(
        self, plan: Plan, pool: asyncpg.Pool[Any], database_url: str, postmaster: int | None, log_dir: Path
    ) -> None:
        self.plan = plan
        self.pool = pool
        self.database_url = database_url
        self.postmaster = postmaster
        self.log_dir = log_dir
        # Anochat and the baseline each get an emulator, so that both stay up and take turns.
        self.anochat_emulator = BotAPIEmulator(token=TOKEN)
        # the baseline has no /search: its users never wrote to it before being relayed to
        self.baseline_emulator = BotAPIEmulator(token=TOKEN, config=EmulatorConfig(require_start=False))
        self.relay_ids = list(range(RELAY_USER_IDS_FROM, RELAY_USER_IDS_FROM + 2 * plan.pairs))
        self.pairing_ids = list(range(PAIRING_USER_IDS_FROM, PAIRING_USER_IDS_FROM + plan.pairing_users))
        self.pairs_path = log_dir / "pairs.json"
        self.profile_dir: Path | None = None

    async def start_emulators(self) -> None:
        await self.anochat_emulator.start()
        await self.baseline_emulator.start()

    async def stop_emulators(self) -> None:
        await self.anochat_emulator.stop()
        await self.baseline_emulator.stop()

    async def add_users(self) -> None:
        await add_history(self.pool, self.plan.history_users, self.plan.history_messages)
        await add_easygoing_users(self.pool, self.relay_ids)
        await add_mixed_users(self.pool, self.pairing_ids, self.plan.seed)
        for user_id in self.relay_ids:
            self.anochat_emulator.user(f"Relay {user_id}", id=user_id)
            self.baseline_emulator.user(f"Relay {user_id}", id=user_id)
        for user_id in self.pairing_ids:
            self.anochat_emulator.user(f"Searcher {user_id}", id=user_id)

    def anochat(self, name: str, *, webhook: bool) -> BotProcess:
        log_path = self.log_dir / f"{name}.log"
        return anochat_process(self.anochat_emulator, self.database_url, log_path, webhook=webhook, name=name)

    def baseline(self, name: str, *, webhook: bool) -> BotProcess:
        log_path = self.log_dir / f"{name}.log"
        return baseline_process(self.baseline_emulator, self.pairs_path, log_path, webhook=webhook)

    async def pair_relay_users(self) -> tuple[Traffic, Traffic]:
        """Pair the relay users through Anochat (they all accept each other); the baseline gets the same pairs."""
        users = [self.anochat_emulator.get_user(user_id) for user_id in self.relay_ids]
        result = await search_all(self.anochat_emulator, self.pool, users)
        pairs = [(a, b) for _chat, a, b in await active_pairs(self.pool, self.relay_ids)]
        if len(pairs) != self.plan.pairs or not result.ok:
            raise RuntimeError(f"pairing the relay users gave {len(pairs)} chats, not {self.plan.pairs}: {result}")
        self.pairs_path.write_text(json.dumps(pairs), encoding="utf-8")

        def traffic(emulator: BotAPIEmulator) -> Traffic:
            return Traffic(emulator, [(emulator.get_user(a), emulator.get_user(b)) for a, b in pairs])

        return traffic(self.anochat_emulator), traffic(self.baseline_emulator)

    async def compare(self, anochat: Side, baseline: Side) -> None:
        """Start both; pairing through Anochat, then saturation and the offered loads, in turns."""
        await anochat.start()
        await baseline.start()
        await self.pairing(anochat.run)
        await self.saturate([anochat, baseline], self.plan.rounds, profile=anochat)
        await self.offer_loads([anochat, baseline])

    async def pairing(self, run: Run) -> None:
        await end_chats_of(self.pool, self.pairing_ids)
        users = [self.anochat_emulator.get_user(user_id) for user_id in self.pairing_ids]
        result = await search_all(self.anochat_emulator, self.pool, users)
        run.pairing = {**asdict(result), "ok": result.ok}
        run.invariant_violations = sum(violation.rows for violation in await find_violations(self.pool))
        print(f"    {run.name}: pairing {result.searches_per_s} searches/s, checks ok: {result.ok}", flush=True)

    async def saturate(self, sides: Sequence[Side], repeats: int, *, profile: Side | None = None) -> None:
        """Closed loop, in turns; with `profile`, that side's first stretch is sampled with py-spy
        (when --profile was given)."""
        plan = self.plan
        profiling: list[asyncio.Task[bool]] = []
        for side in in_turns(sides, repeats):
            if side.before_stretch is not None:
                side.before_stretch()

            def mark(side: Side = side) -> None:
                side.mark()
                if side is profile and not profiling and self.profile_dir is not None:
                    path = self.profile_dir / f"{side.run.name}.collapsed"
                    profiling.append(
                        asyncio.create_task(record_profile(side.bots[0].pid, plan.saturation_seconds, path))
                    )

            stretch = await side.traffic.closed_loop(
                plan.in_flight_per_user, plan.saturation_warmup, plan.saturation_seconds, on_measure=mark
            )
            side.saturation.append(stretch)
            print(f"    {side.run.name}: {stretch.relayed / stretch.seconds:.0f} msg/s saturated", flush=True)
        for task in profiling:
            if not await task:
                print("    py-spy is not installed (pip install py-spy): no profile", flush=True)

    async def offer_loads(self, sides: Sequence[Side]) -> None:
        plan = self.plan
        for per_second in plan.loads:
            for side in in_turns(sides, plan.repeats):
                stretch = await side.traffic.open_loop(per_second, plan.load_warmup, plan.load_seconds)
                side.loads.setdefault(per_second, []).append(stretch)
                p99 = percentile(stretch.latencies, 99) * 1000
                print(f"    {side.run.name}: {per_second} msg/s offered, p99 {p99:.1f} ms", flush=True)

    async def long_run(self, side: Side) -> None:
        """Relay until the process has relayed `long_messages` in all (for its memory)."""
        readings: list[CpuReading] = []
        meter = CpuMeter(side.bots, side.postmaster)
        until = side.traffic.relayed + max(0, self.plan.long_messages - side.relayed_since_start())
        print(f"    {side.run.name}: relaying up to {self.plan.long_messages:,} messages in all", flush=True)
        stretch = await side.traffic.closed_loop(
            self.plan.in_flight_per_user,
            0.0,
            0.0,
            until_relayed=until,
            on_measure=lambda: readings.append(meter.read()),
        )
        use = CpuUse.between(readings[0], readings[1])
        side.run.long = {
            "relayed": stretch.relayed,
            "seconds": round(stretch.seconds, 1),
            "per_second": round(stretch.relayed / max(stretch.seconds, 1e-9), 1),
            "cpu_seconds_per_1000": round(use.bots_cpu_seconds / max(stretch.relayed, 1) * 1000, 3),
        }


# --- the whole run -----------------------------------------------------------------------


async def measure(bench: Bench) -> list[Run]:
    plan = bench.plan
    in_flight = plan.in_flight_per_user * 2 * plan.pairs

    print("Anochat and the baseline, polling", flush=True)
    anochat_bot = bench.anochat("anochat-polling", webhook=False)
    baseline_bot = bench.baseline("baseline-polling", webhook=False)
    polling = Run("anochat-polling", 1)
    baseline_polling = Run("baseline-polling", 1)
    try:
        await anochat_bot.start()
        anochat_traffic, baseline_traffic = await bench.pair_relay_users()
        anochat = Side(polling, bench.anochat_emulator, anochat_traffic, [anochat_bot], bench.postmaster)
        baseline = Side(baseline_polling, bench.baseline_emulator, baseline_traffic, [baseline_bot], None)
        await bench.compare(anochat, baseline)
        baseline.summarize(in_flight)
        await stop_bots([baseline_bot], [baseline_polling])
        if plan.long_messages:
            await bench.long_run(anochat)
        anochat.summarize(in_flight)
    finally:
        await stop_bots([anochat_bot, baseline_bot], [polling, baseline_polling])

    print("Anochat and the baseline, webhook", flush=True)
    workers = [
        bench.anochat(f"anochat-webhook-{index + 1}", webhook=True) for index in range(max(plan.workers, default=1))
    ]
    baseline_bot = bench.baseline("baseline-webhook", webhook=True)
    webhook = Run("anochat-webhook", 1)
    baseline_webhook = Run("baseline-webhook", 1)
    scaled: list[Run] = []
    try:
        anochat = Side(webhook, bench.anochat_emulator, anochat_traffic, workers[:1], bench.postmaster)
        baseline = Side(baseline_webhook, bench.baseline_emulator, baseline_traffic, [baseline_bot], None)
        await bench.compare(anochat, baseline)
        anochat.summarize(in_flight)
        baseline.summarize(in_flight)
        await stop_bots([baseline_bot], [baseline_webhook])
        if plan.workers:
            scaled = await scale_out(bench, anochat_traffic, workers, in_flight)
    finally:
        bench.anochat_emulator.set_webhook_targets(None)
        await stop_bots([*workers, baseline_bot], [webhook, baseline_webhook, *scaled])
    return [polling, baseline_polling, webhook, baseline_webhook, *scaled]


async def scale_out(bench: Bench, traffic: Traffic, workers: Sequence[BotProcess], in_flight: int) -> list[Run]:
    """1, 2, 3 ... webhook workers over one database, in turns; then pairing over the most."""
    counts = sorted({1, *bench.plan.workers})
    print(f"Anochat, {', '.join(map(str, counts))} webhook workers", flush=True)
    for worker in workers:
        if worker.process is None:
            await worker.start()
    emulator = bench.anochat_emulator

    def targets(count: int) -> Callable[[], None]:
        return lambda: emulator.set_webhook_targets([f"{worker.webhook_url}/webhook" for worker in workers[:count]])

    sides = [
        Side(
            Run(f"anochat-webhook-x{count}", count),
            emulator,
            traffic,
            list(workers[:count]),
            bench.postmaster,
            before_stretch=targets(count),
            shares_traffic=True,
        )
        for count in counts
    ]
    for side in sides:
        await side.start()
    await bench.saturate(sides, bench.plan.repeats)
    for side in sides:
        if side.run.processes > 1:
            if side.before_stretch is not None:
                side.before_stretch()
            await bench.pairing(side.run)
    for side in sides:
        side.summarize(in_flight)
    return [side.run for side in sides]


async def run_bench(plan: Plan, quick: bool, profile: bool = False) -> dict[str, Any]:
    server, source = server_url()
    name = f"anochat_relay_bench_{os.getpid()}"
    await drop_database(server, name)
    database_url = await create_database(server, name)
    log_dir = LOG_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_dir.mkdir(parents=True, exist_ok=True)
    code_at_start = code_version()
    started = time.perf_counter()
    try:
        await asyncio.to_thread(apply_migrations, database_url)
        settings, postmaster = await describe_server(server, local=source == "embedded")
        pool = await create_pool(database_url, min_size=1, max_size=4)
        bench = Bench(plan, pool, database_url, postmaster, log_dir)
        bench.profile_dir = log_dir if profile else None
        try:
            await bench.start_emulators()
            await bench.add_users()
            runs = await measure(bench)
        finally:
            await bench.stop_emulators()
            await pool.close()
    finally:
        await drop_database(server, database_name(database_url))
    report: dict[str, Any] = {
        "benchmark": "relay",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "plan": asdict(plan),
        "machine": machine(),
        "code": {**code_at_start, "bot_code_changed_during_run": _bot_code(code_version()) != _bot_code(code_at_start)},
        "server": {"source": source, **settings},
        "bot_settings": {
            "DB_POOL_MAX_SIZE": "10 (default)",
            "FLOOD_MAX_MESSAGES": "10000",
            "FLOOD_WINDOW_SECONDS": "1",
            "LOG_LEVEL": "INFO",
        },
        "logs": str(log_dir.relative_to(ROOT)),
        "runs": {run.name: asdict(run) for run in runs},
    }
    for mode in ("polling", "webhook"):
        collapsed = log_dir / f"anochat-{mode}.collapsed"
        if profile and collapsed.exists():
            report.setdefault("profiles", {})[mode] = {
                "file": str(collapsed.relative_to(ROOT)),
                "what": f"py-spy, Anochat {mode}, first saturated stretch; share of the main thread's busy samples",
                "top": profile_summary(collapsed),
            }
    report["ratios"] = ratios(report["runs"])
    report["targets"] = targets(report["runs"], report["ratios"])
    return report


def code_version() -> dict[str, Any]:
    """The commit measured: HEAD, the last commit that touched the bot's code, and uncommitted changes to it."""
    import hashlib
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    bot_code = ("anochat.py", "roulette", "sql", "migrations", "locales")
    changes = git("status", "--porcelain", "--", *bot_code) + git("diff", "--", *bot_code)
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "bot_code_commit": git("log", "-1", "--format=%h", "--", *bot_code) or None,
        "bot_code_changes": hashlib.sha256(changes.encode()).hexdigest()[:12] if changes else None,
    }


def _bot_code(version: dict[str, Any]) -> tuple[Any, Any]:
    return version["bot_code_commit"], version["bot_code_changes"]


def machine() -> dict[str, Any]:
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(), "system": platform.platform()}


# --- ratios and targets ------------------------------------------------------------------


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 2)


def _load(run: dict[str, Any] | None, per_second: int) -> dict[str, Any] | None:
    if run is None:
        return None
    return next((load for load in run["loads"] if load["offered_per_s"] == per_second), None)


def ratios(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Anochat over the baseline in the same mode (throughput: higher is better; latency: lower)."""
    result: dict[str, Any] = {}
    for mode in ("polling", "webhook"):
        anochat, baseline = runs.get(f"anochat-{mode}"), runs.get(f"baseline-{mode}")
        if anochat is None or baseline is None or anochat["throughput"] is None or baseline["throughput"] is None:
            continue
        latency = {}
        for load in anochat["loads"]:
            base = _load(baseline, load["offered_per_s"])
            if base is not None:
                latency[str(load["offered_per_s"])] = {
                    "p50": _ratio(load["p50_ms"], base["p50_ms"]),
                    "p99": _ratio(load["p99_ms"], base["p99_ms"]),
                }
        rounds = [
            round(mine / theirs, 2)
            for mine, theirs in zip(anochat["stretches_per_second"], baseline["stretches_per_second"], strict=False)
            if theirs
        ]
        result[mode] = {
            "throughput": _ratio(anochat["throughput"]["per_second"], baseline["throughput"]["per_second"]),
            # round by round (each Anochat stretch against the baseline's of the same round)
            "throughput_rounds": rounds,
            "throughput_median": round(statistics.median(rounds), 2) if rounds else None,
            "throughput_spread": [min(rounds), max(rounds)] if rounds else None,
            "cpu_per_message": _ratio(anochat["cpu_seconds_per_1000"], baseline["cpu_seconds_per_1000"]),
            "latency": latency,
        }
    single = runs.get("anochat-webhook-x1")
    for name, run in runs.items():
        if name.startswith("anochat-webhook-x") and name != "anochat-webhook-x1" and single is not None:
            if run["throughput"] and single["throughput"]:
                scaled = _ratio(run["throughput"]["per_second"], single["throughput"]["per_second"])
                result[f"{name.removeprefix('anochat-webhook-')} workers over 1 (same stretch)"] = scaled
    return result


def targets(runs: dict[str, dict[str, Any]], found: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for mode in ("polling", "webhook"):
        median = found.get(mode, {}).get("throughput_median")
        rows.append(
            {
                "target": f"relay throughput >= {TARGET_THROUGHPUT_RATIO}x the baseline ({mode}, median of the rounds)",
                "measured": median,
                "met": None if median is None else median >= TARGET_THROUGHPUT_RATIO,
            }
        )
    for mode in ("polling", "webhook"):
        load = _load(runs.get(f"anochat-{mode}"), TARGET_P99_AT)
        p99 = load["p99_ms"] if load is not None else None
        rows.append(
            {
                "target": f"p99 <= {TARGET_P99_MS:g} ms at {TARGET_P99_AT} msg/s ({mode})",
                "measured": p99,
                "met": None if p99 is None else p99 <= TARGET_P99_MS and bool(load and load["kept_up"]),
            }
        )
    polling_run = runs.get("anochat-polling")
    rss = polling_run["rss_mb_peak"] if polling_run else None
    relayed = polling_run["relayed_total"] if polling_run else 0
    rows.append(
        {
            "target": f"bot RSS <= {TARGET_RSS_MB:g} MB after {TARGET_RSS_AFTER:,} messages",
            "measured": rss,
            "after_messages": relayed,
            "met": None if rss is None or relayed < TARGET_RSS_AFTER else rss <= TARGET_RSS_MB,
        }
    )
    checks = [run["pairing"]["ok"] if run["pairing"] else True for run in runs.values()]
    violations = sum(run["invariant_violations"] or 0 for run in runs.values())
    rows.append(
        {
            "target": "no lost or double matches, no broken invariants",
            "measured": violations,
            "met": all(checks) and violations == 0,
        }
    )
    return rows


# --- output ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _print_rows(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [list(header)] + [[_cell(value) for value in row] for row in rows]
    widths = [max(len(row[index]) for row in cells) for index in range(len(header))]
    for row in cells:
        print(
            "  ".join(
                cell.rjust(width) if index else cell.ljust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )


def print_report(report: dict[str, Any]) -> None:
    plan, server, runs = report["plan"], report["server"], report["runs"]
    print()
    print(
        f"Relay: {plan['pairs']} pairs, {plan['in_flight_per_user']} messages in flight per user when saturated,"
        f" after a history of {plan['history_users']:,} users and {plan['history_messages']:,} messages;"
        f" PostgreSQL {server['server_version']} ({server['source']}, fsync={server['fsync']},"
        f" synchronous_commit={server['synchronous_commit']}); {report['machine']['cpus']} CPUs"
        f" ({report['machine']['cpu']}); {report['wall_seconds']} s in all"
    )
    print("CPU columns: share of one core during the saturated stretch (bench = the emulator and the load)")
    _print_rows(
        (
            "run",
            "procs",
            "msg/s",
            "p50 ms",
            "p99 ms",
            "CPU s/1k msg",
            "bots CPU",
            "bench CPU",
            "pg CPU",
            "RSS MB start",
            "RSS MB peak",
            "relayed",
            "searches/s",
            "pairing ok",
        ),
        [
            (
                name,
                run["processes"],
                run["throughput"]["per_second"] if run["throughput"] else None,
                run["throughput"]["p50_ms"] if run["throughput"] else None,
                run["throughput"]["p99_ms"] if run["throughput"] else None,
                run["cpu_seconds_per_1000"],
                run["cpu"]["bots"] if run["cpu"] else None,
                run["cpu"]["bench"] if run["cpu"] else None,
                run["cpu"]["postgres"] if run["cpu"] else None,
                run["rss_mb_at_start"],
                run["rss_mb_peak"],
                run["relayed_total"],
                run["pairing"]["searches_per_s"] if run["pairing"] else None,
                run["pairing"]["ok"] and not run["invariant_violations"] if run["pairing"] else None,
            )
            for name, run in runs.items()
        ],
    )
    print()
    print("Latency from the user's send to the partner's copy, ms (p50 / p95 / p99), at offered loads")
    loads = plan["loads"]
    rows = []
    for name, run in runs.items():
        if not run["loads"]:
            continue
        row: list[Any] = [name]
        for per_second in loads:
            load = _load(run, per_second)
            if load is None:
                row.append(None)
                continue
            mark = "" if load["kept_up"] else f" (fell behind: {load['achieved_per_s']:g}/s, lost {load['lost']})"
            row.append(f"{load['p50_ms']:g} / {load['p95_ms']:g} / {load['p99_ms']:g}{mark}")
        rows.append(row)
    _print_rows(["run", *(f"{per_second} msg/s" for per_second in loads)], rows)
    print()
    print("Anochat / baseline, same run:")
    for mode, found in report["ratios"].items():
        if isinstance(found, dict):
            latency = ", ".join(
                f"{load}/s p50 x{values['p50']} p99 x{values['p99']}" for load, values in found["latency"].items()
            )
            spread = found["throughput_spread"] or [None, None]
            print(
                f"  {mode}: throughput x{found['throughput_median']} median of {len(found['throughput_rounds'])}"
                f" rounds (x{spread[0]}–x{spread[1]}: {found['throughput_rounds']}; pooled x{found['throughput']}),"
                f" CPU per message x{found['cpu_per_message']}; {latency}"
            )
        else:
            print(f"  {mode}: x{found}")
    long_run = runs["anochat-polling"].get("long")
    if long_run:
        print(
            f"  long run (polling): {long_run['relayed']} messages at {long_run['per_second']} msg/s,"
            f" {long_run['cpu_seconds_per_1000']} CPU s per 1,000"
        )
    for found in report.get("profiles", {}).values():
        print()
        print(f"Profile ({found['what']}; {found['file']}):")
        for share, frame in found["top"][:30]:
            print(f"  {share:6.1%}  {frame}")
    print()
    print("Targets:")
    for target in report["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        extra = f" (after {target['after_messages']:,} messages)" if "after_messages" in target else ""
        print(f"  {verdict:>12}  {target['target']}: {_cell(target['measured'])}{extra}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter stretches, fewer searchers, no long run")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write results ({DEFAULT_JSON})")
    parser.add_argument("--pairs", type=int, help="relay pairs (default 50)")
    parser.add_argument("--loads", help="offered loads in msg/s, comma-separated (default 100,300,600)")
    parser.add_argument("--long", type=int, help="messages the polling bot relays in all, for its memory (0: skip)")
    parser.add_argument("--workers", help="webhook worker counts to try, comma-separated (default 2,3; '' for none)")
    parser.add_argument("--pairing-users", type=int, help="users who /search at once (default 1000, quick 300)")
    parser.add_argument("--history", help="users,messages the database holds before the run (default 100000,1000000)")
    parser.add_argument("--rounds", type=int, help="saturated rounds per mode, in turns (default 3, at least 3)")
    parser.add_argument("--profile", action="store_true", help="sample Anochat (saturated, each mode) with py-spy")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    plan = Plan.quick() if args.quick else Plan()
    changes: dict[str, Any] = {}
    if args.pairs is not None:
        changes["pairs"] = args.pairs
    if args.loads is not None:
        changes["loads"] = tuple(int(value) for value in args.loads.split(",") if value)
    if args.long is not None:
        changes["long_messages"] = args.long
    if args.workers is not None:
        changes["workers"] = tuple(int(value) for value in args.workers.split(",") if value)
    if args.pairing_users is not None:
        changes["pairing_users"] = args.pairing_users
    if args.history is not None:
        users, messages = (int(value) for value in args.history.split(","))
        changes["history_users"], changes["history_messages"] = users, messages
    if args.rounds is not None:
        if args.rounds < 3:
            raise SystemExit("--rounds: at least 3 (a median and a spread need three)")
        changes["rounds"] = args.rounds
    return Plan(**{**asdict(plan), **changes})


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_from(args)
    report = asyncio.run(run_bench(plan, args.quick, args.profile))
    print_report(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}; bot logs in {report['logs']}")
    broken = any(row["met"] is False for row in report["targets"] if row["target"].startswith("no lost"))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
