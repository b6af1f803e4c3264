"""Simulated users against the real bot process: pairing them, sending load, counting what arrived."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import asyncpg

from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import Language
from roulette.domain import Profile
from roulette.storage.admin import create_database
from roulette.storage.admin import drop_database
from roulette.storage.pool import create_pool
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.search import Paired
from tests.support.bot_process import E2E_TOKEN
from tests.support.bot_process import BotProcess
from tgemulator import BotAPIEmulator
from tgemulator import EmulatorConfig
from tgemulator import EmuMessage
from tgemulator import SimUser

WAIT = 30.0  # liveness bound for anything the bot should do

APOLOGY = "Sorry, something went wrong"

# Load tests measure delivery, not the flood guard (it has its own test).
LOAD_SETTINGS = {"FLOOD_MAX_MESSAGES": "10000"}


def new_emulator() -> BotAPIEmulator:
    # Users here are registered directly, without writing to the bot first.
    return BotAPIEmulator(config=EmulatorConfig(token=E2E_TOKEN, require_start=False))


@dataclass
class World:
    """One bot process (long polling), its emulator and its database, shared by a module's tests."""

    emulator: BotAPIEmulator
    pool: asyncpg.Pool[Any]
    usecases: UseCases
    bot: BotProcess
    usernames: bool = False  # users with a username, which must never reach their partner
    people: int = 0

    def user(self, name: str) -> SimUser:
        self.people += 1
        username = f"{name.lower()}_{self.people}" if self.usernames else None
        return self.emulator.user(f"{name}{self.people}", username=username)

    async def kill(self) -> None:
        """SIGKILL; returns once whatever the dead process had on the wire has reached Telegram."""
        await self.bot.kill()
        self.emulator.clear_faults()
        await asyncio.sleep(0.5)


@asynccontextmanager
async def scratch_database(server_url: str, template_name: str) -> AsyncIterator[tuple[str, asyncpg.Pool[Any]]]:
    """A database of its own, copied from the migrated template, and a pool on it; dropped after."""
    name = f"anochat_live_{uuid.uuid4().hex[:10]}"
    url = await create_database(server_url, name, template=template_name)
    pool = await create_pool(url, min_size=1, max_size=4)
    try:
        yield url, pool
    finally:
        await pool.close()
        await drop_database(server_url, name)


@asynccontextmanager
async def running_emulator() -> AsyncIterator[BotAPIEmulator]:
    emulator = new_emulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@asynccontextmanager
async def live_world(
    server_url: str, template_name: str, log: Path, *, usernames: bool = False, **settings: str
) -> AsyncIterator[World]:
    """A World on a database of its own; `settings` go to the bot."""
    async with scratch_database(server_url, template_name) as (url, pool), running_emulator() as emulator:
        bot = BotProcess(emulator, url, log, **{**LOAD_SETTINGS, **settings})
        await bot.start()
        try:
            yield World(emulator, pool, UseCases(Database(pool)), bot, usernames)
        finally:
            await bot.stop()


async def register(usecases: UseCases, user: SimUser, *, age: int = 25) -> None:
    await usecases.register_user(user.id, Language.EN)
    await usecases.update_profile(user.id, Profile(Gender.MALE, age, Interests()))


async def pair(usecases: UseCases, first: SimUser, second: SimUser) -> int:
    """Both registered, searching, and in one chat together; the chat id."""
    for user in (first, second):
        await register(usecases, user)
    await usecases.start_search(first.id)
    paired = await usecases.start_search(second.id)
    assert isinstance(paired, Paired) and paired.partner.id == first.id, paired
    return paired.chat_id


async def pairs(usecases: UseCases, user: Callable[[str], SimUser], count: int) -> list[tuple[SimUser, SimUser]]:
    """`count` new couples, each in a chat of its own."""
    couples = [(user("Ann"), user("Bob")) for _ in range(count)]
    for first, second in couples:
        await pair(usecases, first, second)
    return couples


def copies(receiver: SimUser, sender: SimUser) -> Counter[int]:
    """Source message id → how many copies of it the receiver got."""
    return Counter(
        message.copied_from[1]
        for message in receiver.inbox
        if message.copied_from is not None and message.copied_from[0] == sender.id
    )


def copy_of(sender: SimUser, message_id: int) -> Callable[[EmuMessage], bool]:
    """Is this the receiver's copy of that message of the sender?"""
    return lambda message: message.copied_from == (sender.id, message_id)


def texts(user: SimUser, fragment: str) -> list[str]:
    return [message.body for message in user.inbox if fragment in message.body]


async def eventually(check: Any, what: str, timeout: float = WAIT) -> float:
    """Wait until `check()` is true; the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class Load:
    """Every user of every pair sends numbered texts at a steady pace."""

    couples: Sequence[tuple[SimUser, SimUser]]
    per_user: int
    gap: float
    sent: list[tuple[SimUser, SimUser, int]] = field(default_factory=list)  # (sender, receiver, message id)

    async def flowing(self, delivered: int) -> asyncio.Task[None]:
        """Start the load; its task, once `delivered` messages have arrived."""
        task = asyncio.create_task(self.run())
        await eventually(lambda: self.delivery()[0] >= delivered, "the load flowing")
        return task

    async def run(self) -> None:
        async def chatter(sender: SimUser, receiver: SimUser) -> None:
            for n in range(self.per_user):
                message_id = await sender.send_text(f"{sender.first_name} #{n}")
                self.sent.append((sender, receiver, message_id))
                await asyncio.sleep(self.gap)

        await asyncio.gather(
            *(chatter(a, b) for a, b in self.couples),
            *(chatter(b, a) for a, b in self.couples),
        )

    def delivery(self) -> tuple[int, int, int]:
        """(delivered at least once, missing, extra copies) over everything sent so far."""
        counts: dict[tuple[int, int], Counter[int]] = {}
        delivered = missing = extra = 0
        for sender, receiver, message_id in self.sent:
            key = (sender.id, receiver.id)
            if key not in counts:
                counts[key] = copies(receiver, sender)
            got = counts[key][message_id]
            delivered += got >= 1
            missing += got == 0
            extra += max(0, got - 1)
        return delivered, missing, extra

    @property
    def senders(self) -> int:
        return 2 * len(self.couples)

    def lost_nothing(self, duplicates_first_copied_before: float) -> list[tuple[SimUser, int]]:
        """Assert that everything sent arrived, and that whatever arrived twice was first copied
        before that moment (by a process that died, or while Telegram redelivered); the duplicated."""
        assert self.delivery()[1] == 0
        duplicated = self.duplicated()
        first_copies = [first_copy_at(receiver, message_id) for receiver, message_id in duplicated]
        assert all(at < duplicates_first_copied_before for at in first_copies), (
            duplicates_first_copied_before,
            first_copies,
        )
        return duplicated

    def figures(self) -> dict[str, int]:
        """What a report of the load says."""
        delivered, missing, extra = self.delivery()
        return {"messages_sent": len(self.sent), "delivered": delivered, "lost": missing, "duplicates_delivered": extra}

    def duplicated(self) -> list[tuple[SimUser, int]]:
        """(receiver, source message id) of every message that arrived more than once."""
        return [
            (receiver, message_id)
            for sender, receiver, message_id in self.sent
            if copies(receiver, sender)[message_id] > 1
        ]


def first_copy_at(receiver: SimUser, source_message_id: int) -> float:
    return min(m.stored_at for m in receiver.inbox if m.copied_from and m.copied_from[1] == source_message_id)
