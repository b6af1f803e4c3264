"""Load on the relay: simulated users send texts to their partners; each copy is timed.

A message's latency runs from the moment it is due (closed loop: sent; open loop: the moment
the schedule says it is due, so a late sender counts against the system too) to the moment
the emulator stores the bot's copy in the partner's chat (`EmuMessage.stored_at`, a
`time.perf_counter()` of this process). A measurement is a list of stretches; stretches of
Anochat and of the baseline alternate, and each side's stretches are pooled.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from tgemulator import BotAPIEmulator
from tgemulator import EmuMessage
from tgemulator import SimUser

# How often the open-loop sender wakes up to send what is due.
TICK_SECONDS = 0.002
# Drop delivered history this often so that the emulator's memory stays flat on long runs.
PRUNE_EVERY_MESSAGES = 20_000

Key = tuple[int, int]  # (sender chat id, message id)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 10) - 1]


def ms(seconds: float, digits: int = 2) -> float:
    return round(seconds * 1000, digits)


@dataclass(frozen=True, slots=True)
class ClosedLoopStretch:
    seconds: float
    relayed: int
    latencies: list[float]


@dataclass(frozen=True, slots=True)
class OpenLoopStretch:
    per_second: int
    seconds: float
    sent: int
    span: float  # from the first measured message due to the last copy (or the schedule's end)
    latencies: list[float]
    lost: int
    max_send_lag: float


@dataclass(frozen=True, slots=True)
class Throughput:
    """Closed loop: every user keeps a few messages on their way."""

    in_flight: int
    seconds: float
    relayed: int
    per_second: float
    p50_ms: float
    p99_ms: float

    @classmethod
    def pooled(cls, in_flight: int, stretches: Sequence[ClosedLoopStretch]) -> Throughput:
        seconds = sum(stretch.seconds for stretch in stretches)
        relayed = sum(stretch.relayed for stretch in stretches)
        latencies = [latency for stretch in stretches for latency in stretch.latencies]
        return cls(
            in_flight=in_flight,
            seconds=round(seconds, 2),
            relayed=relayed,
            per_second=round(relayed / max(seconds, 1e-9), 1),
            p50_ms=ms(percentile(latencies, 50)),
            p99_ms=ms(percentile(latencies, 99)),
        )


@dataclass(frozen=True, slots=True)
class OfferedLoad:
    """Open loop: messages sent on a fixed schedule, whatever happens to the earlier ones."""

    offered_per_s: int
    seconds: float
    sent: int
    relayed: int
    achieved_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    lost: int
    max_send_lag_ms: float
    kept_up: bool

    @classmethod
    def pooled(cls, stretches: Sequence[OpenLoopStretch]) -> OfferedLoad:
        latencies = [latency for stretch in stretches for latency in stretch.latencies]
        achieved = len(latencies) / max(sum(stretch.span for stretch in stretches), 1e-9)
        lost = sum(stretch.lost for stretch in stretches)
        per_second = stretches[0].per_second
        return cls(
            offered_per_s=per_second,
            seconds=round(sum(stretch.seconds for stretch in stretches), 2),
            sent=sum(stretch.sent for stretch in stretches),
            relayed=len(latencies),
            achieved_per_s=round(achieved, 1),
            p50_ms=ms(percentile(latencies, 50)),
            p95_ms=ms(percentile(latencies, 95)),
            p99_ms=ms(percentile(latencies, 99)),
            max_ms=ms(max(latencies, default=float("nan"))),
            lost=lost,
            max_send_lag_ms=ms(max(stretch.max_send_lag for stretch in stretches)),
            kept_up=lost == 0 and achieved >= 0.95 * per_second,
        )


class Traffic:
    """Texts between the partners of each pair, with every copy matched to its original."""

    def __init__(self, emulator: BotAPIEmulator, pairs: Sequence[tuple[SimUser, SimUser]]) -> None:
        self._emulator = emulator
        self.senders = [user for pair in pairs for user in pair]
        self._due: dict[Key, float] = {}
        # latency of each copy, while a stretch is measured
        self._arrivals: dict[Key, float] | None = None
        self._closed_loop = False
        self._refill: deque[SimUser] = deque()
        self._refill_wanted = asyncio.Event()
        self._nothing_in_flight = asyncio.Event()
        self._last_copy_at = 0.0
        self._since_prune = 0
        self.relayed = 0
        self._unsubscribe = emulator.on_bot_message(self._on_copy)

    def close(self) -> None:
        self._unsubscribe()

    def _on_copy(self, message: EmuMessage) -> None:
        if message.copied_from is None:
            return
        due = self._due.pop(message.copied_from, None)
        if due is None:
            return
        if not self._due:
            self._nothing_in_flight.set()
        self.relayed += 1
        self._since_prune += 1
        self._last_copy_at = message.stored_at
        if self._arrivals is not None:
            self._arrivals[message.copied_from] = message.stored_at - due
        if self._closed_loop:
            self._refill.append(self._emulator.get_user(message.copied_from[0]))
            self._refill_wanted.set()

    async def _send(self, sender: SimUser, due: float) -> Key:
        message_id = await sender.send_raw({"text": f"bench {self.relayed} {due:.6f}"})
        key = (sender.id, message_id)
        self._due[key] = due
        return key

    async def drain(self, timeout: float) -> int:
        """Wait for the copies still on their way; how many never came."""
        if self._due:
            self._nothing_in_flight.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nothing_in_flight.wait(), timeout)
        lost = len(self._due)
        self._due.clear()
        return lost

    def prune(self) -> None:
        """Forget delivered history in the emulator (a message still to be copied is kept)."""
        for user in self.senders:
            for message_id in [key for key in user.messages if (user.id, key) not in self._due]:
                del user.messages[message_id]
            user.inbox.clear()
            user.outbox.clear()
        self._emulator.sent_log.clear()
        self._since_prune = 0

    async def closed_loop(
        self,
        in_flight_per_user: int,
        warmup: float,
        seconds: float,
        *,
        until_relayed: int | None = None,
        on_measure: Callable[[], None] | None = None,
    ) -> ClosedLoopStretch:
        """Saturate: a user sends again as soon as one of their copies arrived.

        Measures `seconds` after `warmup` (or until `self.relayed` reaches `until_relayed`);
        `on_measure()` is called as the measured stretch starts and as it ends.
        """
        self._closed_loop = True
        pump = asyncio.create_task(self._pump())
        try:
            now = time.perf_counter()
            for _ in range(in_flight_per_user):
                for sender in self.senders:
                    await self._send(sender, now)
            await asyncio.sleep(warmup)
            arrivals: dict[Key, float] = {}
            self._arrivals = arrivals
            start_count, started = self.relayed, time.perf_counter()
            if on_measure is not None:
                on_measure()
            while True:
                await asyncio.sleep(0.05)
                if self._since_prune >= PRUNE_EVERY_MESSAGES:
                    self.prune()
                if until_relayed is not None:
                    if self.relayed >= until_relayed:
                        break
                elif time.perf_counter() - started >= seconds:
                    break
            if on_measure is not None:
                on_measure()
            elapsed, relayed = time.perf_counter() - started, self.relayed - start_count
            self._arrivals = None
        finally:
            self._closed_loop = False
            pump.cancel()
        await self.drain(30.0)
        self.prune()
        return ClosedLoopStretch(elapsed, relayed, list(arrivals.values()))

    async def _pump(self) -> None:
        while True:
            await self._refill_wanted.wait()
            self._refill_wanted.clear()
            now = time.perf_counter()
            while self._refill:
                await self._send(self._refill.popleft(), now)

    async def open_loop(
        self,
        per_second: int,
        warmup: float,
        seconds: float,
        *,
        drain_timeout: float = 15.0,
        on_measure: Callable[[], None] | None = None,
    ) -> OpenLoopStretch:
        """Send `per_second` messages a second on a fixed schedule, round robin over the users."""
        total = round(per_second * (warmup + seconds))
        measured_from = round(per_second * warmup)
        start = time.perf_counter() + 0.05
        measured: set[Key] = set()
        arrivals: dict[Key, float] = {}
        self._arrivals = arrivals
        max_lag = 0.0
        sent = 0
        while sent < total:
            now = time.perf_counter()
            while sent < total and start + sent / per_second <= now:
                due = start + sent / per_second
                if sent == measured_from and on_measure is not None:
                    on_measure()
                max_lag = max(max_lag, now - due)
                key = await self._send(self.senders[sent % len(self.senders)], due)
                if sent >= measured_from:  # only what was due after the warm-up counts
                    measured.add(key)
                sent += 1
            next_due = start + sent / per_second
            await asyncio.sleep(max(0.0, min(TICK_SECONDS, next_due - time.perf_counter())))
        lost = await self.drain(drain_timeout)
        if on_measure is not None:
            on_measure()
        self._arrivals = None
        self.prune()
        first_due = start + measured_from / per_second
        span = max(self._last_copy_at, start + total / per_second) - first_due
        return OpenLoopStretch(
            per_second=per_second,
            seconds=seconds,
            sent=len(measured),
            span=span,
            latencies=[latency for key, latency in arrivals.items() if key in measured],
            lost=lost,
            max_send_lag=max_lag,
        )
