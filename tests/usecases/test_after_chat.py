"""After-chat use cases against a real database: ratings, reports and blocks."""

from __future__ import annotations

import asyncio
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from roulette.domain import Reputation
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.account import Deleted
from roulette.usecases.after_chat import Blocked
from roulette.usecases.after_chat import Refused
from roulette.usecases.after_chat import Reported
from roulette.usecases.after_chat import ReportPartner
from roulette.usecases.after_chat import ReportPolicy
from roulette.usecases.chat import ChatClosed
from roulette.usecases.reconnect import Invited
from roulette.usecases.search import Banned
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.members import chat_between
from tests.support.members import ended_chat_between
from tests.support.members import member
from tests.support.members import members_in_chat
from tests.support.members import wait_until_a_query_waits_for_a_lock


def banned_nobody(result: object, *, about: int) -> bool:
    """A report about `about` was filed and banned nobody."""
    return isinstance(result, Reported) and result.reported_id == about and result.banned_until is None


async def test_a_partner_can_be_liked_once_per_chat(usecases: UseCases) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await usecases.rate_partner(1, chat_id, 1) is None
    assert await usecases.rate_partner(1, chat_id, 1) is Refused.ALREADY_RATED
    assert await usecases.rate_partner(1, chat_id, -1) is Refused.ALREADY_RATED

    rated = await usecases.get_user(2)
    assert rated is not None and rated.reputation == Reputation(likes=1, dislikes=0)


async def test_each_side_rates_the_other_and_reputation_adds_up(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 3, 2)

    assert await usecases.rate_partner(1, first, -1) is None
    assert await usecases.rate_partner(2, first, 1) is None
    assert await usecases.rate_partner(3, second, 1) is None

    one, two = await usecases.get_user(1), await usecases.get_user(2)
    assert one is not None and one.reputation == Reputation(likes=1, dislikes=0)
    assert two is not None and two.reputation == Reputation(likes=1, dislikes=1)


async def test_only_the_two_sides_of_a_chat_may_rate_it(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await usecases.rate_partner(3, chat_id, 1) is Refused.NOT_YOUR_CHAT
    assert await usecases.rate_partner(1, chat_id + 1000, 1) is Refused.NOT_YOUR_CHAT


async def test_a_chat_cannot_be_rated_while_it_is_going_on(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    assert await usecases.rate_partner(1, chat_id, 1) is Refused.CHAT_STILL_ACTIVE
    partner = await usecases.get_user(2)
    assert partner is not None and partner.reputation == Reputation()


@pytest.mark.parametrize("value", [0, 2, -2])
async def test_a_rating_is_a_like_or_a_dislike(usecases: UseCases, value: int) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)
    with pytest.raises(ValueError, match="rating"):
        await usecases.rate_partner(1, chat_id, value)


# --- reports -----------------------------------------------------------------------------


@pytest.fixture
def report_partner(db: Database) -> ReportPartner:
    """Two reports from distinct users ban."""
    return ReportPartner(db, ReportPolicy(threshold=2, window=timedelta(hours=24), ban_for=timedelta(hours=6)))


async def test_a_report_is_filed_with_its_reason(
    usecases: UseCases, report_partner: ReportPartner, pool: asyncpg.Pool[Any]
) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert banned_nobody(await report_partner(1, chat_id, "spam"), about=2)

    rows = await pool.fetch("SELECT chat_id, reporter_id, reported_id, reason FROM reports")
    assert [tuple(row) for row in rows] == [(chat_id, 1, 2, "spam")]
    assert (await usecases.get_stats()).open_reports == 1


async def test_a_partner_can_be_reported_during_the_chat(usecases: UseCases, report_partner: ReportPartner) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    result = await report_partner(2, chat_id, "abuse")

    # the report blocks the pair, which ends the chat
    assert isinstance(result, Reported) and result.blocked
    assert result.ended == ((ChatClosed(chat_id, partner_id=1), 2),)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE


async def test_a_report_without_a_block_leaves_the_chat_going(
    usecases: UseCases, report_partner: ReportPartner
) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    result = await report_partner(2, chat_id, "abuse", block=False)

    assert isinstance(result, Reported) and not result.blocked and result.ended == ()
    assert await usecases.get_current_chat(1) == InChat(chat_id, partner_id=2)


async def test_reports_from_enough_distinct_users_ban_the_reported_one_and_take_them_out_of_the_queue(
    usecases: UseCases, report_partner: ReportPartner
) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 1, 3)
    assert await usecases.start_search(1) is SearchOutcome.WAITING
    before = datetime.now(UTC)

    assert banned_nobody(await report_partner(2, first, "spam"), about=1)
    reported = await report_partner(3, second, "abuse")

    assert isinstance(reported, Reported) and reported.reported_id == 1
    assert reported.banned_until is not None
    assert before + timedelta(hours=6) <= reported.banned_until <= datetime.now(UTC) + timedelta(hours=6)
    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    assert await usecases.start_search(1) == Banned(reported.banned_until)
    user = await usecases.get_user(1)
    assert user is not None and user.banned_until == reported.banned_until


async def test_one_user_reporting_twice_counts_once(usecases: UseCases, report_partner: ReportPartner) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 1, 2)

    assert banned_nobody(await report_partner(2, first, "spam"), about=1)
    assert await report_partner(2, first, "abuse") is Refused.ALREADY_REPORTED
    # another chat with the same reporter: a new report, still a single reporter
    assert banned_nobody(await report_partner(2, second, "spam"), about=1)
    user = await usecases.get_user(1)
    assert user is not None and user.banned_until is None


async def test_old_reports_fall_out_of_the_window(
    usecases: UseCases, report_partner: ReportPartner, pool: asyncpg.Pool[Any]
) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    first = await ended_chat_between(usecases, 1, 2)
    second = await ended_chat_between(usecases, 1, 3)
    await report_partner(2, first, "spam")
    await pool.execute("UPDATE reports SET created_at = now() - interval '25 hours'")

    assert banned_nobody(await report_partner(3, second, "spam"), about=1)


async def test_only_the_two_sides_of_a_chat_may_report_it(usecases: UseCases, report_partner: ReportPartner) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await ended_chat_between(usecases, 1, 2)

    assert await report_partner(3, chat_id, "spam") is Refused.NOT_YOUR_CHAT
    assert await report_partner(1, chat_id + 1000, "spam") is Refused.NOT_YOUR_CHAT


async def test_a_report_needs_a_known_reason(usecases: UseCases, report_partner: ReportPartner) -> None:
    await member(usecases, 1)
    await member(usecases, 2)
    chat_id = await ended_chat_between(usecases, 1, 2)
    with pytest.raises(ValueError, match="reason"):
        await report_partner(1, chat_id, "boring")


# --- blocks ------------------------------------------------------------------------------


async def test_blocking_the_partner_ends_the_chat(usecases: UseCases) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    assert await usecases.block_partner(1, chat_id) == Blocked(blocked_id=2, ended_chat=ChatClosed(chat_id, 2))

    assert await usecases.get_current_chat(1) is Unpaired.IDLE
    assert await usecases.get_current_chat(2) is Unpaired.IDLE


@pytest.mark.parametrize("blocker", [1, 2])
@pytest.mark.parametrize("first_to_search", [1, 2])
async def test_a_blocked_pair_is_never_paired_again_even_when_both_search(
    usecases: UseCases, blocker: int, first_to_search: int
) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)
    await usecases.block_partner(blocker, chat_id)

    assert await usecases.start_search(first_to_search) is SearchOutcome.WAITING
    assert await usecases.start_search(3 - first_to_search) is SearchOutcome.WAITING
    # both are still available to anyone else
    result = await usecases.start_search(3)
    assert isinstance(result, Paired) and result.partner.id == first_to_search


async def test_a_block_waits_for_a_search_under_way(usecases: UseCases, db: Database) -> None:
    chat_id = await members_in_chat(usecases, 1, 2)

    async with db.pool.acquire() as search, search.transaction():  # as a running search holds it
        await search.execute("SELECT pg_advisory_xact_lock_shared(7301986)")
        block = asyncio.create_task(usecases.block_partner(1, chat_id))
        await wait_until_a_query_waits_for_a_lock(db.pool)
        assert not block.done()

    assert await block == Blocked(blocked_id=2, ended_chat=ChatClosed(chat_id, 2))


async def test_a_block_and_the_partners_deleteme_at_the_same_instant_both_complete(
    usecases: UseCases, pool: asyncpg.Pool[Any]
) -> None:
    for round_ in range(20):
        blocker, deleted = 10 + 2 * round_, 11 + 2 * round_
        await member(usecases, blocker)
        await member(usecases, deleted)
        # an earlier chat of theirs left an invitation to talk again, which both statements touch
        earlier = await ended_chat_between(usecases, blocker, deleted)
        assert isinstance(await usecases.ask_to_reconnect(deleted, earlier), Invited)
        chat_id = await chat_between(usecases, blocker, deleted)

        blocked, gone = await asyncio.gather(usecases.block_partner(blocker, chat_id), usecases.delete_user(deleted))

        assert isinstance(gone, Deleted)
        assert isinstance(blocked, Blocked) or blocked is Refused.PARTNER_GONE
        assert await usecases.get_current_chat(blocker) is Unpaired.IDLE
        assert await pool.fetchval("SELECT count(*) FROM chat_participants WHERE active") == 0


async def test_blocking_after_the_chat_ended_leaves_the_current_chat_alone(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    old_chat = await ended_chat_between(usecases, 1, 2)
    new_chat = await chat_between(usecases, 1, 3)

    assert await usecases.block_partner(1, old_chat) == Blocked(blocked_id=2, ended_chat=None)
    assert await usecases.block_partner(1, old_chat) == Blocked(blocked_id=2, ended_chat=None)

    assert await usecases.get_current_chat(1) == InChat(new_chat, partner_id=3)


async def test_only_the_two_sides_of_a_chat_may_block_through_it(usecases: UseCases) -> None:
    for user_id in (1, 2, 3):
        await member(usecases, user_id)
    chat_id = await chat_between(usecases, 1, 2)

    assert await usecases.block_partner(3, chat_id) is Refused.NOT_YOUR_CHAT
    assert await usecases.get_current_chat(1) == InChat(chat_id, partner_id=2)
