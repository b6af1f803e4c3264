"""Matchmaking under real concurrency: many searches at once, over many connections and processes.

After every burst of searches, the four guarantees must hold:
  (a) nobody is in two active chats;
  (b) no two compatible users are both left waiting (no lost match);
  (c) nobody is paired with themself;
  (d) every chat satisfies both users' wishes (domain.can_pair).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterable
from itertools import combinations
from typing import Any
from typing import TypeVar

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionProxy

from roulette.domain import INTEREST_CATALOG
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import Language
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import Profile
from roulette.domain import Reputation
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.domain import can_pair
from roulette.invariants import find_violations
from roulette.storage.pool import create_pool
from roulette.storage.repositories import user_from_record
from roulette.storage.uow import Database
from roulette.usecases import UseCases
from roulette.usecases.account import UserNotFound
from roulette.usecases.after_chat import Refused
from roulette.usecases.after_chat import Reported
from roulette.usecases.after_chat import ReportPartner
from roulette.usecases.after_chat import ReportPolicy
from roulette.usecases.chat import ChatClosed
from roulette.usecases.profile import AgesOutsideClass
from roulette.usecases.search import InChat
from roulette.usecases.search import Paired
from roulette.usecases.search import SearchOutcome
from roulette.usecases.search import Unpaired
from tests.support.seeding import add_users
from tests.support.workers import run_at_once

T = TypeVar("T")
POOL_SIZE = 8
CROWD = 200
ROUNDS = 5


@pytest.fixture
async def wide_pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """Eight connections open from the start, so that eight searches really run at once."""
    pool = await create_pool(database_url, min_size=POOL_SIZE, max_size=POOL_SIZE)
    yield pool
    await pool.close()


@pytest.fixture
def many(wide_pool: asyncpg.Pool[Any]) -> UseCases:
    return UseCases(Database(wide_pool))


# --- a crowd of users with all sorts of wishes ---------------------------------------------


# Which users a crowd is made of: one pool (adults speaking English, minors speaking Russian),
# or every pool at once (both classes, both languages, some who accept any language).
POOLS = {
    "adults-en": ((18, 60), (Language.EN,), (PartnerLanguage.SAME,)),
    "minors-ru": ((13, 17), (Language.RU,), (PartnerLanguage.SAME,)),
    "every-pool": ((13, 60), tuple(Language), (PartnerLanguage.SAME, PartnerLanguage.SAME, PartnerLanguage.ANY)),
}


def random_user(rng: random.Random, user_id: int, pool: str = "every-pool") -> User:
    """Mostly easy-going users, with men and women who want one gender, minors, narrow age
    ranges and users who require a shared interest: plenty of pairs that may not meet."""
    (youngest, oldest), languages, language_wishes = POOLS[pool]
    if youngest < 18 <= oldest:  # both classes: one in five a minor
        age = rng.randint(youngest, 17) if rng.random() < 0.2 else rng.randint(18, oldest)
    else:
        age = rng.randint(youngest, oldest)
    if rng.random() < 0.5:
        age_min, age_max = 13, 99
    else:
        age_min, age_max = max(13, age - rng.randint(0, 6)), min(99, age + rng.randint(0, 10))
    return User(
        user_id,
        language=rng.choice(languages),
        profile=Profile(
            rng.choice(list(Gender)),
            age,
            Interests.of(rng.sample(INTEREST_CATALOG, rng.randint(0, 3))),
        ),
        preferences=SearchPreferences(
            rng.choices(list(PartnerGender), weights=[2, 1, 1])[0],
            age_min,
            age_max,
            rng.choices(list(InterestsMode), weights=[1, 3, 1])[0],
            rng.choice(language_wishes),
        ),
    )


def odd_one_out(user_id: int) -> User:
    """Nobody can ever fit her: she requires a shared interest and has chosen none."""
    return User(
        user_id,
        profile=Profile(Gender.FEMALE, 17),
        preferences=SearchPreferences(PartnerGender.FEMALE, 13, 17, InterestsMode.REQUIRE),
    )


async def add_blocks(pool: asyncpg.Pool[Any], pairs: Iterable[tuple[int, int]]) -> None:
    await pool.executemany("INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", pairs)


def crowd(rng: random.Random, first_id: int, size: int, pool: str = "every-pool") -> list[User]:
    users = [random_user(rng, user_id, pool) for user_id in range(first_id, first_id + size - 1)]
    return [*users, odd_one_out(first_id + size - 1)]


# --- the four guarantees -------------------------------------------------------------------


async def assert_matchmaking_guarantees(pool: asyncpg.Pool[Any]) -> tuple[int, int]:
    """Check (a)-(d) on the whole database; return (active chats, users waiting)."""
    users = {record["id"]: user_from_record(record) for record in await pool.fetch("SELECT * FROM users")}
    blocked = {frozenset(row) for row in await pool.fetch("SELECT blocker_id, blocked_id FROM blocks")}
    sides = await pool.fetch("SELECT chat_id, user_id FROM chat_participants WHERE active")
    chats = await pool.fetch("SELECT id, user_a, user_b FROM chats WHERE ended_at IS NULL")
    waiting = [row["user_id"] for row in await pool.fetch("SELECT user_id FROM search_queue")]

    # (a) nobody in two active chats, and nobody both chatting and waiting
    in_chat = Counter(row["user_id"] for row in sides)
    assert [user for user, count in in_chat.items() if count > 1] == []
    assert set(in_chat) & set(waiting) == set()

    # (c) every active chat has two different sides, and its participants are exactly those two
    members: dict[int, set[int]] = {}
    for row in sides:
        members.setdefault(row["chat_id"], set()).add(row["user_id"])
    assert {chat["id"]: {chat["user_a"], chat["user_b"]} for chat in chats} == members
    assert all(chat["user_a"] != chat["user_b"] for chat in chats)

    # (d) every chat satisfies both users' wishes
    for chat in chats:
        a, b = users[chat["user_a"]], users[chat["user_b"]]
        assert can_pair(a, b, blocked=frozenset((a.id, b.id)) in blocked), (a, b)

    # (b) no two waiting users could have been paired
    lost = [
        (a, b)
        for a, b in combinations(waiting, 2)
        if can_pair(users[a], users[b], blocked=frozenset((a, b)) in blocked)
    ]
    assert lost == []

    # and every rule the schema alone cannot express
    assert await find_violations(pool) == []
    return len(chats), len(waiting)


def assert_every_chat_announced_once(results: Iterable[object], chats_before: int, chats_after: int) -> None:
    assert sum(isinstance(result, Paired) for result in results) == chats_after - chats_before


# --- many users at once --------------------------------------------------------------------


@pytest.mark.parametrize("pool", POOLS)
async def test_a_crowd_searching_at_once_is_paired_without_lost_or_double_matches(
    many: UseCases, wide_pool: asyncpg.Pool[Any], pool: str
) -> None:
    rng = random.Random(20240601)
    chats = 0
    for round_number in range(ROUNDS):
        users = crowd(rng, first_id=1 + round_number * 1000, size=CROWD, pool=pool)
        await add_users(wide_pool, users)
        # some pairs blocked each other in the past, in both directions
        await add_blocks(wide_pool, ((a.id, b.id) for a, b in (rng.sample(users, 2) for _ in range(40))))
        rng.shuffle(users)

        results = await asyncio.gather(*(many.start_search(user.id) for user in users))

        assert all(isinstance(result, Paired) or result is SearchOutcome.WAITING for result in results)
        for user, result in zip(users, results, strict=True):
            if isinstance(result, Paired):
                assert result.me.id == user.id and result.partner.id != user.id
                assert await many.get_current_chat(user.id) == InChat(result.chat_id, result.partner.id)
        before = chats
        chats, _ = await assert_matchmaking_guarantees(wide_pool)
        assert_every_chat_announced_once(results, before, chats)
        assert chats > before  # plenty of pairs in every crowd


async def test_leaving_cancelling_and_searching_at_once_keeps_the_guarantees(
    many: UseCases, wide_pool: asyncpg.Pool[Any]
) -> None:
    rng = random.Random(7)
    await add_users(wide_pool, crowd(rng, first_id=1, size=CROWD))
    await asyncio.gather(*(many.start_search(user_id) for user_id in range(1, CROWD + 1)))
    await assert_matchmaking_guarantees(wide_pool)

    async def leave_and_search_again(user_id: int) -> object:
        await many.close_chat(user_id)
        return await many.start_search(user_id)

    for round_number in range(1, ROUNDS):
        chatting = [
            row["user_id"] for row in await wide_pool.fetch("SELECT user_id FROM chat_participants WHERE active")
        ]
        waiting = [row["user_id"] for row in await wide_pool.fetch("SELECT user_id FROM search_queue")]
        newcomers = crowd(rng, first_id=1 + round_number * 1000, size=CROWD // 2)
        await add_users(wide_pool, newcomers)
        leaving = rng.sample(chatting, len(chatting) // 2)
        cancelling = rng.sample(waiting, len(waiting) // 3)

        operations: list[Awaitable[object]] = [
            *(many.start_search(user.id) for user in newcomers),
            *(leave_and_search_again(user_id) for user_id in leaving),
            *(many.cancel_search(user_id) for user_id in cancelling),
            # and a few who press "search" twice
            *(many.start_search(user.id) for user in newcomers[:20]),
        ]
        rng.shuffle(operations)
        results = await asyncio.gather(*operations)

        searched = (SearchOutcome.WAITING, SearchOutcome.ALREADY_SEARCHING)
        # a cancel answers True or False; a search never finds a profile incomplete or a ban here
        assert all(isinstance(result, Paired | InChat | bool) or result in searched for result in results)
        await assert_matchmaking_guarantees(wide_pool)


@pytest.mark.parametrize("pool", ["adults-en", "every-pool"])
async def test_searches_from_two_processes_at_once_keep_the_guarantees(
    database_url: str, wide_pool: asyncpg.Pool[Any], pool: str
) -> None:
    rng = random.Random(99)
    users = crowd(rng, first_id=1, size=2 * CROWD, pool=pool)
    await add_users(wide_pool, users)
    ids = [user.id for user in users]
    rng.shuffle(ids)
    # every user searches from one process, and 160 of them press "search" in both at once
    halves = [ids[0::2] + ids[1:160:2], ids[1::2] + ids[0:160:2]]

    outputs = await run_at_once(
        "tests.support.matchmaking_worker", [[database_url, json.dumps(half)] for half in halves]
    )
    counts: Counter[str] = Counter()
    for output in outputs:
        counts.update(output)
    chats, waiting = await assert_matchmaking_guarantees(wide_pool)
    assert counts["Paired"] == chats
    # one side of every chat waited first; the others are still waiting
    assert counts["WAITING"] == chats + waiting
    assert counts.total() == len(ids) + 160


async def test_two_users_searching_at_once_are_paired_with_each_other(
    many: UseCases, wide_pool: asyncpg.Pool[Any]
) -> None:
    rng = random.Random(1)
    for trial in range(50):
        first, second = 2 * trial + 1, 2 * trial + 2
        await add_users(
            wide_pool,
            [
                User(first, profile=Profile(Gender.MALE, rng.randint(18, 40))),
                User(second, profile=Profile(Gender.FEMALE, rng.randint(18, 40))),
            ],
        )

        results = await asyncio.gather(many.start_search(first), many.start_search(second))

        assert SearchOutcome.WAITING in results
        [paired] = [result for result in results if isinstance(result, Paired)]
        assert {paired.me.id, paired.partner.id} == {first, second}
        assert await many.get_current_chat(first) == InChat(paired.chat_id, second)
        assert await many.get_current_chat(second) == InChat(paired.chat_id, first)
    await assert_matchmaking_guarantees(wide_pool)


async def wait_until_waiting_for_a_lock(pool: asyncpg.Pool[Any], count: int) -> None:
    """Until `count` sessions wait for an advisory lock (the searches that must wait for a pool)."""
    while True:
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("held", "blocked_languages", "free_languages"),
    [
        # while one search holds the English adults' pool, minors and Russian adults still pair;
        # an adult who accepts any language needs the English pool too when they speak English
        ("adult:en", ["adult-en-same", "adult-en-any"], ["minor-en-same", "adult-ru-same", "minor-ru-any"]),
        # the pool of those who accept any language stops only them, not those of their language
        ("adult:*", ["adult-en-any", "adult-ru-any"], ["adult-en-same", "adult-ru-same", "minor-en-any"]),
    ],
)
async def test_searches_in_other_pools_do_not_wait_for_a_busy_pool(
    many: UseCases,
    wide_pool: asyncpg.Pool[Any],
    held: str,
    blocked_languages: list[str],
    free_languages: list[str],
) -> None:
    def pair_of(kind: str, first_id: int) -> list[User]:
        cls, language, wish = kind.split("-")
        return [
            User(
                user_id,
                language=Language(language),
                profile=Profile(gender, 30 if cls == "adult" else 15),
                preferences=SearchPreferences(wants, partner_language=PartnerLanguage(wish)),
            )
            # the men want women: the men kept waiting below can never be paired together
            for user_id, gender, wants in (
                (first_id, Gender.MALE, PartnerGender.FEMALE),
                (first_id + 1, Gender.FEMALE, PartnerGender.ANY),
            )
        ]

    blocked = {kind: pair_of(kind, 100 * (index + 1)) for index, kind in enumerate(blocked_languages)}
    free = {kind: pair_of(kind, 1000 + 100 * index) for index, kind in enumerate(free_languages)}
    await add_users(wide_pool, [user for pair in [*blocked.values(), *free.values()] for user in pair])

    async with wide_pool.acquire() as holder, holder.transaction():
        # a search of that pool in progress, as far as the others can tell
        await holder.execute("SELECT pg_advisory_xact_lock(7301986, hashtext($1))", held)
        stuck = [asyncio.create_task(many.start_search(first.id)) for first, _ in blocked.values()]
        # (the limit only keeps a broken lock scheme from hanging the run)
        await asyncio.wait_for(wait_until_waiting_for_a_lock(wide_pool, len(stuck)), 60)

        for first, second in free.values():
            assert await many.start_search(first.id) is SearchOutcome.WAITING
            paired = await many.start_search(second.id)
            assert isinstance(paired, Paired) and paired.partner.id == first.id
        assert not any(task.done() for task in stuck)
    assert await asyncio.gather(*stuck) == [SearchOutcome.WAITING] * len(stuck)
    waiting_men = {first.id for first, _ in blocked.values()}
    for _, second in blocked.values():
        paired = await many.start_search(second.id)
        assert isinstance(paired, Paired) and paired.partner.id in waiting_men
        waiting_men.remove(paired.partner.id)
    await assert_matchmaking_guarantees(wide_pool)


# --- a chosen partner taken meanwhile --------------------------------------------------------

# C accepts any language, so a search of the English pool and one of those who accept any
# language can both choose C, each under its own pool's lock. The one that loses C must pair with
# D, who is compatible too and waits, not wait beside D.
C_ANY_EN, D_RU, S_EN, S_ANY_RU = 1, 2, 3, 4


def woman(user_id: int, language: Language, wish: PartnerLanguage) -> User:
    return User(
        user_id,
        language=language,
        profile=Profile(Gender.FEMALE, 30),
        preferences=SearchPreferences(partner_language=wish),
    )


def man(user_id: int, language: Language, wish: PartnerLanguage) -> User:
    preferences = SearchPreferences(PartnerGender.FEMALE, partner_language=wish)
    return User(user_id, language=language, profile=Profile(Gender.MALE, 30), preferences=preferences)


async def c_then_d_waiting(many: UseCases, pool: asyncpg.Pool[Any], *searchers: User) -> None:
    await add_users(
        pool,
        [woman(C_ANY_EN, Language.EN, PartnerLanguage.ANY), woman(D_RU, Language.RU, PartnerLanguage.SAME), *searchers],
    )
    assert await many.start_search(C_ANY_EN) is SearchOutcome.WAITING  # C waits longest: everyone's first choice
    assert await many.start_search(D_RU) is SearchOutcome.WAITING


async def wait_until_waiting_for_a_row(pool: asyncpg.Pool[Any]) -> None:
    """Until a session waits for another transaction (a DELETE of a queue row that one deleted)."""
    while True:
        if await pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted)"
        ):
            return
        await asyncio.sleep(0.01)


async def while_c_is_taken(
    pool: asyncpg.Pool[Any], take_c: Callable[[PoolConnectionProxy[Any]], Awaitable[object]], search: Awaitable[T]
) -> T:
    """Run `search` while another transaction has taken C out of the queue, uncommitted; the
    transaction commits once the search waits for C's row, which it chose."""
    async with pool.acquire() as other, other.transaction():
        await take_c(other)
        searching = asyncio.ensure_future(search)
        await asyncio.wait_for(wait_until_waiting_for_a_row(pool), 60)
    return await searching


async def cancel_c(connection: PoolConnectionProxy[Any]) -> None:
    assert await connection.fetchval("DELETE FROM search_queue WHERE user_id = $1 RETURNING user_id", C_ANY_EN)


async def test_a_search_that_loses_its_partner_to_another_pool_pairs_with_the_next(
    many: UseCases, wide_pool: asyncpg.Pool[Any]
) -> None:
    await c_then_d_waiting(
        many, wide_pool, man(S_EN, Language.EN, PartnerLanguage.SAME), man(S_ANY_RU, Language.RU, PartnerLanguage.ANY)
    )

    async def english_pool_takes_c(connection: PoolConnectionProxy[Any]) -> None:
        [me, partner] = await connection.fetch("SELECT role, id FROM start_search($1, NULL) ORDER BY role", S_EN)
        assert (me["role"], partner["role"], partner["id"]) == ("me", "partner", C_ANY_EN)

    result = await while_c_is_taken(wide_pool, english_pool_takes_c, many.start_search(S_ANY_RU))
    assert isinstance(result, Paired) and result.partner.id == D_RU
    await assert_matchmaking_guarantees(wide_pool)


async def test_a_search_whose_partner_cancels_meanwhile_pairs_with_the_next(
    many: UseCases, wide_pool: asyncpg.Pool[Any]
) -> None:
    await c_then_d_waiting(many, wide_pool, man(S_ANY_RU, Language.RU, PartnerLanguage.ANY))
    result = await while_c_is_taken(wide_pool, cancel_c, many.start_search(S_ANY_RU))
    assert isinstance(result, Paired) and result.partner.id == D_RU
    await assert_matchmaking_guarantees(wide_pool)


async def test_a_change_of_wishes_whose_partner_cancels_meanwhile_pairs_with_the_next(
    many: UseCases, wide_pool: asyncpg.Pool[Any]
) -> None:
    # The search a change of wishes runs happens inside the change's transaction: only the attempt
    # that lost C is undone, and the change itself is kept.
    searcher = man(S_ANY_RU, Language.RU, PartnerLanguage.ANY)
    await add_users(wide_pool, [searcher])
    await many.update_preferences(S_ANY_RU, SearchPreferences(PartnerGender.MALE, partner_language=PartnerLanguage.ANY))
    assert await many.start_search(S_ANY_RU) is SearchOutcome.WAITING  # wants men, nobody to pair with yet
    await c_then_d_waiting(many, wide_pool)
    saved = await while_c_is_taken(wide_pool, cancel_c, many.update_preferences(S_ANY_RU, searcher.preferences))
    assert not isinstance(saved, UserNotFound | AgesOutsideClass)
    assert saved.paired is not None and saved.paired.partner.id == D_RU
    assert await many.get_current_chat(S_ANY_RU) == InChat(saved.paired.chat_id, D_RU)
    await assert_matchmaking_guarantees(wide_pool)


# --- the other races -----------------------------------------------------------------------


async def chatting_pairs(many: UseCases, pool: asyncpg.Pool[Any], count: int) -> list[tuple[int, int, int]]:
    """`count` chats (chat id, first side, second side) between fresh users."""
    await add_users(pool, [User(user_id, profile=Profile(Gender.MALE, 30)) for user_id in range(1, 2 * count + 1)])
    pairs = []
    for first in range(1, 2 * count + 1, 2):
        assert await many.start_search(first) is SearchOutcome.WAITING
        result = await many.start_search(first + 1)
        assert isinstance(result, Paired)
        pairs.append((result.chat_id, first, first + 1))
    return pairs


async def test_both_sides_leaving_at_once_close_the_chat_exactly_once(
    many: UseCases, wide_pool: asyncpg.Pool[Any]
) -> None:
    for chat_id, first, second in await chatting_pairs(many, wide_pool, 30):
        results = await asyncio.gather(many.close_chat(first), many.close_chat(second))

        closed = [result for result in results if isinstance(result, ChatClosed)]
        assert len(closed) == 1 and closed[0].chat_id == chat_id
        assert results.count(None) == 1
        assert await many.get_current_chat(first) is Unpaired.IDLE
        assert await many.get_current_chat(second) is Unpaired.IDLE


async def test_a_like_pressed_twice_at_once_counts_once(many: UseCases, wide_pool: asyncpg.Pool[Any]) -> None:
    for chat_id, first, second in await chatting_pairs(many, wide_pool, 30):
        await many.close_chat(first)

        results = await asyncio.gather(many.rate_partner(first, chat_id, 1), many.rate_partner(first, chat_id, 1))

        assert results.count(None) == 1 and results.count(Refused.ALREADY_RATED) == 1
        rated = await many.get_user(second)
        assert rated is not None and rated.reputation == Reputation(likes=1, dislikes=0)


async def test_reports_filed_at_once_still_ban_at_the_threshold(many: UseCases, wide_pool: asyncpg.Pool[Any]) -> None:
    report_partner = ReportPartner(Database(wide_pool), ReportPolicy(threshold=2))
    trials = 20
    # user 1000 + t chats with 2t+1 and with 2t+2 in turn; both of them report at the same instant
    await add_users(
        wide_pool, [User(user_id, profile=Profile(Gender.MALE, 30)) for user_id in range(1, 2 * trials + 1)]
    )
    await add_users(wide_pool, [User(1000 + trial, profile=Profile(Gender.FEMALE, 30)) for trial in range(trials)])
    for trial in range(trials):
        reported, reporters = 1000 + trial, (2 * trial + 1, 2 * trial + 2)
        chat_ids = []
        for reporter in reporters:
            assert await many.start_search(reported) is SearchOutcome.WAITING
            result = await many.start_search(reporter)
            assert isinstance(result, Paired) and result.partner.id == reported
            await many.close_chat(reporter)
            chat_ids.append(result.chat_id)

        results = await asyncio.gather(
            *(report_partner(reporter, chat_id, "abuse") for reporter, chat_id in zip(reporters, chat_ids, strict=True))
        )

        assert all(isinstance(result, Reported) and result.reported_id == reported for result in results)
        user = await many.get_user(reported)
        assert user is not None and user.banned_until is not None
