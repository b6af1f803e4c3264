"""No notice and no album is lost when the bot process is killed between a change and its message.

A "partner found" or "partner left" notice, and an album still in its quiet period, are written to
the outbox in the same transaction as the change; the real bot process is SIGKILLed after the
commit and before the message went out, and must deliver it after the restart, to the chat it
belongs to. The outbox lease is short here so that the tests need not wait long.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from roulette.bot.callbacks import BlockPartner
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.live import WAIT
from tests.support.live import World
from tests.support.live import copies
from tests.support.live import eventually
from tests.support.live import live_world
from tests.support.live import pair
from tests.support.live import register
from tgemulator import SimUser

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

LEASE_SECONDS = 2
PARTNER_FOUND = "Partner found"
PARTNER_LEFT = "Your partner has left the chat"
ATTEMPTS = 5  # the album test needs its kill to land inside a 0.4 s window; a busy machine may miss it


@pytest.fixture(scope="module")
async def world(server_url: str, template_name: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    log = tmp_path_factory.mktemp("outbox") / "bot.log"
    async with live_world(server_url, template_name, log, OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS)) as world:
        yield world


async def test_a_partner_found_notice_survives_a_kill_9_right_after_the_pairing(
    world: World, pytestconfig: pytest.Config
) -> None:
    waiting, searcher = world.user("Wendy"), world.user("Sam")
    for user in (waiting, searcher):
        await register(world.usecases, user)
    await waiting.send_command("search")
    await waiting.wait_for_text("Looking for a partner", WAIT)
    # The searcher's notice goes out first, and Telegram is slow to take it: the process dies with
    # the pairing committed and the waiting user's notice not yet sent.
    world.emulator.set_delay("sendMessage", 10.0)
    sends_before = world.emulator.calls["sendMessage"]
    await searcher.send_command("search")
    await eventually(lambda: world.emulator.calls["sendMessage"] > sends_before, "the first notice on its way")

    await world.kill()
    await world.bot.start()

    await waiting.wait_for_text(PARTNER_FOUND, WAIT)
    await searcher.wait_for_text(PARTNER_FOUND, WAIT)
    chat = await world.pool.fetchval(
        "SELECT count(*) FROM chats WHERE ended_at IS NULL AND $1 IN (user_a, user_b) AND $2 IN (user_a, user_b)",
        waiting.id,
        searcher.id,
    )
    assert chat == 1
    await no_violations(world.pool)
    await world.usecases.close_chat(waiting.id)
    report(pytestconfig, "kill -9 after a pairing", notices_lost=0, violations=0)


async def test_a_partner_left_notice_survives_a_kill_9_right_after_the_chat_ended(
    world: World, pytestconfig: pytest.Config
) -> None:
    leaver, partner = world.user("Lea"), world.user("Pat")
    chat_id = await pair(world.usecases, leaver, partner)
    hello = await leaver.send_text("bye soon")
    await partner.wait_for(lambda m: m.copied_from == (leaver.id, hello), WAIT)
    # Blocking ends the chat; the bot answers the button before it tells the partner, and
    # Telegram is slow to take that answer: the process dies with the chat ended, the partner untold.
    world.emulator.set_delay("answerCallbackQuery", 10.0)
    answers_before = world.emulator.calls["answerCallbackQuery"]
    await leaver.press(hello, BlockPartner(chat_id=chat_id).pack())
    await eventually(lambda: world.emulator.calls["answerCallbackQuery"] > answers_before, "the answer on its way")
    ended = await world.pool.fetchval("SELECT ended_at IS NOT NULL FROM chats WHERE id = $1", chat_id)
    assert ended

    await world.kill()
    await world.bot.start()

    await partner.wait_for_text(PARTNER_LEFT, WAIT)
    await no_violations(world.pool)
    report(pytestconfig, "kill -9 after a chat ended", notices_lost=0, violations=0)


async def album_killed_in_its_quiet_period(world: World) -> tuple[SimUser, SimUser, list[int]] | None:
    """Send an album and SIGKILL the bot once it is stored and acknowledged: (sender, receiver, items),
    or None if the album went out before the kill landed (then this attempt proves nothing)."""
    sender, receiver = world.user("Al"), world.user("Rob")
    chat_id = await pair(world.usecases, sender, receiver)
    album_copies_before = world.emulator.calls["copyMessages"]
    sent = await sender.send_album(("photo", "photo", "video"))
    for _ in range(int(WAIT / 0.01)):
        stored = await world.pool.fetchval("SELECT count(*) FROM messages WHERE chat_id = $1", chat_id)
        if stored == len(sent) and world.emulator.pending_updates == 0:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the album was never stored and acknowledged")
    await world.kill()
    if copies(receiver, sender) or world.emulator.calls["copyMessages"] != album_copies_before:
        await world.bot.start()
        await world.usecases.close_chat(sender.id)
        return None
    return sender, receiver, sent


async def test_an_album_in_its_quiet_period_survives_a_kill_9(world: World, pytestconfig: pytest.Config) -> None:
    killed = None
    attempts = 0
    while killed is None and attempts < ATTEMPTS:
        attempts += 1
        killed = await album_killed_in_its_quiet_period(world)
    assert killed is not None, f"in {ATTEMPTS} attempts the kill never landed inside the album's quiet period"
    sender, receiver, sent = killed
    await world.bot.start()

    await eventually(lambda: sum(copies(receiver, sender).values()) >= len(sent), "the album after the restart")

    assert copies(receiver, sender) == dict.fromkeys(sent, 1)
    await no_violations(world.pool)
    await world.usecases.close_chat(sender.id)
    report(pytestconfig, "kill -9 inside an album's quiet period", attempts=attempts, items_lost=0, violations=0)
