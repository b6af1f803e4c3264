"""While searching: how many search in the pool, what a typed message answers, and the hint after a wait."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiogram.types import User

from roulette.bot.app import App
from roulette.bot.wait_hints import send_wait_hints
from roulette.bot.wait_hints import tell
from roulette.domain import PartnerGender
from roulette.domain import SearchPreferences
from tests.support.flows import HINT
from tests.support.flows import onboard
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import message_update
from tests.support.telegram_double import tg_user

STILL_SEARCHING = "Still searching · /stop to cancel"
AGE_HINT = "Few people searching now match partner age 18–20: widen it in /settings"


def looking(count: int) -> str:
    return f"🔎 Looking for a partner…\nSearching right now, you included: {count}"


async def search(app: App, user_id: int) -> None:
    await app.dispatcher.feed_update(app.bot, message_update(tg_user(user_id), "/search"))


async def men_waiting_for_women(app: App, men: list[User], *, youngest: int = 25) -> None:
    """Onboard the men (aged `youngest`, `youngest` + 1, …), each wanting a woman, and let them search."""
    for n, man in enumerate(men):
        await onboard(app, man, age=str(youngest + n))
        await app.usecases.update_preferences(man.id, SearchPreferences(partner_gender=PartnerGender.FEMALE))
        await search(app, man.id)


async def wait_as_if_for(pool: asyncpg.Pool[Any], seconds: int, *user_ids: int) -> None:
    """Move the users' start of waiting back in time, as if they had been searching that long."""
    await pool.execute(
        "UPDATE search_queue SET enqueued_at = now() - make_interval(secs => $1) WHERE user_id = ANY ($2)",
        seconds,
        list(user_ids),
    )


async def test_the_searching_message_counts_those_searching_in_the_users_pool_only(
    app: App, telegram: FakeTelegram
) -> None:
    # Men who all want a woman: nobody pairs, the queue only grows.
    men = [tg_user(4001 + n) for n in range(3)]
    await men_waiting_for_women(app, men)
    assert [telegram.last_text_to(man.id) for man in men] == [looking(1), looking(2), looking(3)]
    teen, russian = tg_user(4011), tg_user(4012, language_code="ru")
    await onboard(app, teen, age="16")
    await onboard(app, russian)
    # minors and adults, and users of different languages, are in different pools
    await search(app, teen.id)
    assert telegram.last_text_to(teen.id) == looking(1)
    await app.usecases.update_preferences(russian.id, SearchPreferences(partner_gender=PartnerGender.FEMALE))
    await search(app, russian.id)
    assert telegram.last_text_to(russian.id) == "🔎 Ищем собеседника…\nСейчас ищут, включая тебя: 1"


async def test_a_message_typed_while_searching_says_still_searching_and_after_stop_not_in_a_chat(
    app: App, telegram: FakeTelegram
) -> None:
    loner = tg_user(4021)
    await onboard(app, loner)
    await search(app, loner.id)
    await app.dispatcher.feed_update(app.bot, message_update(loner, "anyone there?"))
    assert telegram.last_text_to(loner.id) == STILL_SEARCHING

    await app.dispatcher.feed_update(app.bot, message_update(loner, "/stop"))
    await app.dispatcher.feed_update(app.bot, message_update(loner, "anyone there?"))
    assert telegram.last_text_to(loner.id) == HINT


async def test_a_user_who_waited_is_told_once_per_search_which_own_wish_narrows_the_pool(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    # Six men aged 25 and over wait for women; one of them wants only partners aged 18 to 20.
    picky, others = tg_user(4031, first_name="Picky"), [tg_user(4032 + n, first_name="Other") for n in range(5)]
    await men_waiting_for_women(app, [picky, *others])
    await app.usecases.update_preferences(
        picky.id, SearchPreferences(partner_gender=PartnerGender.FEMALE, age_min=18, age_max=20)
    )
    telegram.clear()

    # Not yet due: nobody is told anything.
    assert await send_wait_hints(app.usecases, app.courier) == 0
    assert telegram.texts_to(picky.id) == []

    await wait_as_if_for(pool, 61, picky.id)
    assert await send_wait_hints(app.usecases, app.courier) == 1
    assert telegram.texts_to(picky.id) == [AGE_HINT]
    assert all(telegram.texts_to(other.id) == [] for other in others)

    # Once per search: the next sweeps leave them alone...
    assert await send_wait_hints(app.usecases, app.courier) == 0
    assert telegram.texts_to(picky.id) == [AGE_HINT]
    # ...and a new search may tell them again.
    await app.dispatcher.feed_update(app.bot, message_update(picky, "/stop"))
    await search(app, picky.id)
    await wait_as_if_for(pool, 61, picky.id)
    telegram.clear()
    assert await send_wait_hints(app.usecases, app.courier) == 1
    assert telegram.texts_to(picky.id) == [AGE_HINT]


async def test_the_hint_names_the_wish_that_narrows_the_pool_and_nothing_when_none_does(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    # Men who want a woman, while only men wait: that wish keeps nobody. A man who accepts
    # anyone has no wish to widen, and a teenager alone among the minors has nobody to compare.
    picky = [tg_user(4051 + n) for n in range(3)]
    await men_waiting_for_women(app, picky)
    open_minded, teen = tg_user(4055), tg_user(4056)
    await onboard(app, open_minded)
    await onboard(app, teen, age="16")
    # he waits too: the men waiting want a woman
    await search(app, open_minded.id)
    await search(app, teen.id)
    await wait_as_if_for(pool, 61, *(user.id for user in (*picky, open_minded, teen)))
    telegram.clear()

    assert await send_wait_hints(app.usecases, app.courier) == 5
    gender_hint = "Few people searching now match partner: 👩 Female. Widen it in /settings"
    for man in picky:
        assert telegram.texts_to(man.id) == [gender_hint]
    assert telegram.texts_to(open_minded.id) == []
    assert telegram.texts_to(teen.id) == []


async def test_the_hint_is_in_the_users_language(app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]) -> None:
    russian = tg_user(4061, language_code="ru")
    others = [tg_user(4062 + n, language_code="ru") for n in range(3)]
    await men_waiting_for_women(app, [russian, *others], youngest=30)
    await app.usecases.update_preferences(
        russian.id, SearchPreferences(partner_gender=PartnerGender.ANY, age_min=18, age_max=20)
    )
    await wait_as_if_for(pool, 61, russian.id)
    telegram.clear()

    assert await send_wait_hints(app.usecases, app.courier) == 1
    assert telegram.texts_to(russian.id) == [
        "Мало кто из ищущих сейчас подходит под возраст собеседника 18–20: расширь его в /settings"
    ]


async def test_a_user_paired_after_the_claim_is_not_sent_the_hint(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any]
) -> None:
    picky, others = tg_user(4071), [tg_user(4072 + n) for n in range(3)]
    await men_waiting_for_women(app, [picky, *others])
    await app.usecases.update_preferences(picky.id, SearchPreferences(age_min=18, age_max=20))
    await wait_as_if_for(pool, 61, picky.id)
    sweep = await app.usecases.claim_wait_hints()
    assert [hint.user.id for hint in sweep.hints] == [picky.id]
    # between the claim and the send, a woman of 19 comes and is paired with him
    woman = tg_user(4079)
    await onboard(app, woman, gender="female", age="19")
    await search(app, woman.id)
    telegram.clear()

    await tell(sweep.hints, app.usecases, app.courier)
    assert telegram.texts_to(picky.id) == []
