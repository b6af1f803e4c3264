"""End to end: the real bot process against the Bot API emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roulette.sandbox.emulator import BotAPIEmulator, SimUser
from tests.bot_process import E2E_TOKEN, BotProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    emulator = BotAPIEmulator(token=E2E_TOKEN)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emulator: BotAPIEmulator, database_url: str, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(emulator, database_url, tmp_path / "bot.log")
    await process.start()
    yield process
    status = await process.stop()
    assert "Traceback" not in process.log(), process.log()
    assert status == 0, process.log()


async def onboard(user: SimUser, *, gender: str = "male", age: int = 25, interests: tuple[str, ...] = ()) -> None:
    await user.send_command("/start")
    welcome = await user.wait_for_text("gender")
    await user.press(welcome.message_id, f"g:{gender}:0")
    await user.wait_for_text("How old")
    await user.send_text(str(age))
    picker = await user.wait_for_text("interests")
    for tag in interests:
        await user.press(picker.message_id, f"i:{tag}:0")
    await user.press(picker.message_id, "i:done:0")
    await user.wait_for_text("All set")


async def test_two_users_onboard_pair_and_talk_through_the_real_bot(
    emulator: BotAPIEmulator, bot: BotProcess
) -> None:
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    await onboard(alice, gender="female")
    await onboard(bob)
    await alice.send_command("/search")
    await alice.wait_for_text("Looking")
    await bob.send_command("/search")
    await alice.wait_for_text("Partner found")
    await bob.wait_for_text("Partner found")
    sent = await alice.send_text("hello Bob")
    copy = await bob.wait_for_text("hello Bob")
    assert copy.copied_from == (alice.id, sent)
    assert copy.forward_origin is None and copy.protect_content
