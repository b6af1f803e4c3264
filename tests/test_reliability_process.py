"""The real bot process (long polling) under load, against a Telegram that misbehaves.

One bot process, one emulator and one database serve the whole module: first the Telegram
faults (403, 429, 5xx, lost answers, slow answers), then SIGKILL under load and SIGTERM
under load, each followed by a restart. Users are registered and paired through the use
cases directly, which is quick; everything they send goes through the bot.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from collections.abc import Sequence

import pytest

from roulette.bot.polling import BATCH_LIMIT
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.live import APOLOGY
from tests.support.live import WAIT
from tests.support.live import Load
from tests.support.live import World
from tests.support.live import copies
from tests.support.live import copy_of
from tests.support.live import eventually
from tests.support.live import live_world
from tests.support.live import pair
from tests.support.live import pairs
from tests.support.live import register
from tests.support.live import texts
from tgemulator import SimUser

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

PARTNER_LEFT = "Your partner has left the chat"

# --- the shared world --------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(server_url: str, template_name: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    log = tmp_path_factory.mktemp("polling") / "bot.log"
    async with live_world(server_url, template_name, log, usernames=True) as world:
        yield world


async def nobody_stuck(world: World, couples: Sequence[tuple[SimUser, SimUser]]) -> None:
    """Each pair still in its chat together; every invariant holds."""
    for first, second in couples:
        status = await world.usecases.get_current_chat(first.id)
        assert isinstance(status, InChat) and status.partner_id == second.id, (first, status)
    await no_violations(world.pool)


async def end_chats(world: World, couples: Sequence[tuple[SimUser, SimUser]]) -> None:
    for first, _second in couples:
        await world.usecases.close_chat(first.id)


# --- Telegram faults -----------------------------------------------------------------------------


async def test_a_partner_who_blocked_the_bot_ends_the_chat_and_is_skipped_until_unblocking(
    world: World, pytestconfig: pytest.Config
) -> None:
    alice, bob, carol = world.user("Alice"), world.user("Bob"), world.user("Carol")
    chat_id = await pair(world.usecases, alice, bob)
    await register(world.usecases, carol)
    world.emulator.fail_next("copyMessage", 403, chat_id=bob.id)  # Telegram: bot was blocked by the user

    await alice.send_text("are you still there?")
    await alice.wait_for_text(PARTNER_LEFT, WAIT)

    assert copies(bob, alice) == Counter()
    ended = await world.pool.fetchrow("SELECT ended_at, end_reason FROM chats WHERE id = $1", chat_id)
    assert ended is not None and ended["ended_at"] is not None and ended["end_reason"] == "bot_blocked"
    # Carol searches: Bob is not among the candidates while he blocks the bot.
    await carol.send_command("/search")
    await carol.wait_for_text("Looking for a partner", WAIT)
    assert await world.usecases.get_current_chat(carol.id) is Unpaired.SEARCHING
    # Bob unblocks (Telegram sends my_chat_member: kicked → member), searches, meets Carol.
    await bob.block_bot()
    await bob.unblock_bot()
    await bob.send_command("/search")
    await bob.wait_for_text("Partner found", WAIT)
    await carol.wait_for_text("Partner found", WAIT)
    await no_violations(world.pool)
    await world.usecases.close_chat(bob.id)
    report(pytestconfig, "telegram 403", faults_injected=1, chat_ended=1, partner_told=1, violations=0)


async def test_a_flood_limit_from_telegram_is_waited_out_and_messages_arrive_once_in_order(
    world: World, pytestconfig: pytest.Config
) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    await pair(world.usecases, alice, bob)
    world.emulator.fail_next("copyMessage", 429, retry_after=1, chat_id=bob.id, count=2)
    errors_before = world.emulator.errors["copyMessage"]
    started = time.monotonic()

    sent = [await alice.send_text(f"in order {n}") for n in range(5)]
    await bob.wait_for_text("in order 4", WAIT)

    elapsed = time.monotonic() - started
    received = [m.copied_from[1] for m in bob.inbox if m.copied_from and m.copied_from[0] == alice.id]
    assert received == sent  # each once, in the order sent
    assert world.emulator.errors["copyMessage"] - errors_before == 2
    assert texts(alice, APOLOGY) == []
    await world.usecases.close_chat(alice.id)
    report(pytestconfig, "telegram 429", faults_injected=2, messages=5, duplicates=0, seconds=round(elapsed, 1))


@pytest.mark.parametrize(
    ("status", "applied"),
    [(502, True), (502, False), (0, False)],
    ids=["502 after sending", "502 before sending", "connection lost"],
)
async def test_a_failed_copy_is_never_sent_twice_and_the_sender_is_told(
    status: int, applied: bool, world: World, pytestconfig: pytest.Config
) -> None:
    """copyMessage is not idempotent: on a 5xx or a dropped connection the copy may or may not
    exist, so the bot does not retry it (which could duplicate it) and asks the sender to retry."""
    alice, bob = world.user("Alice"), world.user("Bob")
    await pair(world.usecases, alice, bob)
    world.emulator.fail_next("copyMessage", status, chat_id=bob.id, apply=applied)

    await alice.send_text("a message Telegram may or may not have taken")
    await alice.wait_for_text(APOLOGY, WAIT)
    after = await alice.send_text("the next one")
    await bob.wait_for(copy_of(alice, after), WAIT)

    got = copies(bob, alice)
    assert got[after] == 1
    assert sum(got.values()) == (2 if applied else 1)  # the failed one at most once
    assert all("Traceback" not in message.body for message in alice.inbox)
    await no_violations(world.pool)
    await world.usecases.close_chat(alice.id)
    report(
        pytestconfig,
        f"telegram {status or 'dropped connection'}{' after sending' if applied else ''}",
        faults_injected=1,
        copies_of_failed_message=sum(got.values()) - 1,
        apologies=len(texts(alice, APOLOGY)),
    )


async def test_an_edit_that_meets_a_server_error_is_retried_and_applied(
    world: World, pytestconfig: pytest.Config
) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    await pair(world.usecases, alice, bob)
    original = await alice.send_text("tpyo")
    copy = await bob.wait_for(copy_of(alice, original), WAIT)
    world.emulator.fail_next("editMessageText", 502, chat_id=bob.id)

    await alice.edit_text(original, "typo")
    await eventually(lambda: bob.message(copy.message_id).text == "typo", "the edit relayed")

    assert texts(alice, APOLOGY) == []
    await world.usecases.close_chat(alice.id)
    report(pytestconfig, "telegram 502 on an edit", faults_injected=1, retried=1, apologies=0)


async def test_slow_telegram_answers_delay_but_never_duplicate_or_reorder(
    world: World, pytestconfig: pytest.Config
) -> None:
    alice, bob = world.user("Alice"), world.user("Bob")
    await pair(world.usecases, alice, bob)
    world.emulator.set_delay("copyMessage", 0.7)
    try:
        sent = [await alice.send_text(f"slowly {n}") for n in range(4)]
        await bob.wait_for_text("slowly 3", WAIT)
    finally:
        world.emulator.set_delay("copyMessage", 0)
    received = [m.copied_from[1] for m in bob.inbox if m.copied_from and m.copied_from[0] == alice.id]
    assert received == sent
    await world.usecases.close_chat(alice.id)
    report(pytestconfig, "telegram slow answers", delay_seconds=0.7, messages=4, duplicates=0)


# --- crash and shutdown ------------------------------------------------------------------------


async def test_kill_9_under_load_then_restart_loses_no_message(world: World, pytestconfig: pytest.Config) -> None:
    couples = await pairs(world.usecases, world.user, 6)
    load = Load(couples, per_user=40, gap=0.04)
    loading = await load.flowing(60)

    await world.bot.kill()
    sent_at_kill = len(load.sent)
    await asyncio.sleep(0.5)  # users keep writing to a dead bot
    # A copy the dead process had already sent may still be stored by Telegram after the kill
    # (the request was in flight); anything stored from here on comes from the new process.
    restarted_at = time.perf_counter()
    await world.bot.start()
    await loading
    settled = await eventually(lambda: load.delivery()[1] == 0, "every message delivered after the restart")

    # A duplicate is only possible for a copy sent but not yet recorded when the process died:
    # at most one per sender (one user's updates are handled one at a time) and first copied by the
    # process that died.
    duplicated = load.lost_nothing(duplicates_first_copied_before=restarted_at)
    assert len(duplicated) <= min(load.senders, BATCH_LIMIT)
    await nobody_stuck(world, couples)
    await end_chats(world, couples)
    report(
        pytestconfig,
        "kill -9 under load",
        **load.figures(),
        sent_before_kill=sent_at_kill,
        duplicate_bound=min(load.senders, BATCH_LIMIT),
        seconds_to_settle=round(settled, 1),
        violations=0,
    )


async def test_sigterm_under_load_finishes_in_flight_updates_exits_0_and_loses_nothing(
    world: World, pytestconfig: pytest.Config
) -> None:
    couples = await pairs(world.usecases, world.user, 6)
    load = Load(couples, per_user=40, gap=0.04)
    loading = await load.flowing(60)

    # The signal comes while a copy is on its way: Telegram is slow to answer it.
    world.emulator.set_delay("copyMessage", 1.0)
    copies_started = world.emulator.calls["copyMessage"]
    await eventually(lambda: world.emulator.calls["copyMessage"] > copies_started, "a copy in flight")
    delivered_at_signal = load.delivery()[0]
    started = time.monotonic()
    status = await world.bot.stop()
    stopped_in = time.monotonic() - started
    # Nothing awaits between these lines: one consistent picture of the stopped bot.
    delivered, missing, extra = load.delivery()
    unconfirmed = world.emulator.pending_updates
    world.emulator.set_delay("copyMessage", 0)
    # Every update the bot took was finished (its copy delivered) before it said so to
    # Telegram; the rest is still waiting at Telegram, to be delivered after the restart.
    assert status == 0, world.bot.log()
    assert stopped_in < 25.0
    assert delivered > delivered_at_signal  # the updates in flight were finished
    assert missing == unconfirmed and extra == 0

    await world.bot.start()
    await loading
    settled = await eventually(lambda: load.delivery()[1] == 0, "every message delivered after the restart")
    assert load.delivery()[2] == 0  # and none twice
    await nobody_stuck(world, couples)
    await end_chats(world, couples)
    report(
        pytestconfig,
        "SIGTERM under load",
        messages_sent=len(load.sent),
        delivered_at_signal=delivered_at_signal,
        finished_after_signal=delivered - delivered_at_signal,
        left_at_telegram=unconfirmed,
        exit_status=status,
        seconds_to_exit=round(stopped_in, 2),
        duplicates_delivered=load.delivery()[2],
        lost=load.delivery()[1],
        seconds_to_settle=round(settled, 1),
        violations=0,
    )
