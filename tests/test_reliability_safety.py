"""Security, anonymity and safety promises, checked through the real Dispatcher.

Who may press which button, what never reaches a partner, how the flood guard and the report
threshold act, what the retention purge and /deleteme erase — and that no SQL in the app is
ever built from strings.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiogram.methods import AnswerCallbackQuery
from aiogram.methods import CopyMessage
from aiogram.methods import SendMessage
from aiogram.types import MessageEntity
from aiogram.types import User

from roulette.bot.app import App
from roulette.bot.callbacks import Report
from roulette.domain import ReportReason
from roulette.usecases.search import InChat
from roulette.usecases.search import Unpaired
from tests.support.figures import no_violations
from tests.support.figures import report
from tests.support.figures import snapshot
from tests.support.flows import ADMIN_ID
from tests.support.flows import ended_chat
from tests.support.flows import feed
from tests.support.flows import onboard
from tests.support.flows import start_chat
from tests.support.telegram_double import FakeTelegram
from tests.support.telegram_double import callback_update
from tests.support.telegram_double import contact
from tests.support.telegram_double import location
from tests.support.telegram_double import message_update
from tests.support.telegram_double import photo
from tests.support.telegram_double import tg_user

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[1]
NO_LONGER_ACTIVE = "This button is no longer active."
REFUSED_PERSONAL = "Contacts and locations are not sent to your partner, to keep you both anonymous."
FLOOD_NOTICE = "You are sending messages too fast"


def identity(user: User) -> tuple[str, ...]:
    return str(user.id), user.first_name, user.username or ""


def leaked(telegram: FakeTelegram, recipient: User, *others: User) -> list[str]:
    """Any of the others' ids, names or usernames in what was sent to `recipient`."""
    found = []
    for request in telegram.sent_to(recipient.id):
        sent = repr(request.model_dump(exclude={"chat_id", "from_chat_id"}))
        found += [secret for other in others for secret in identity(other) if secret in sent]
    return found


# --- buttons and commands that are not yours ------------------------------------------------------


async def test_buttons_forged_for_someone_elses_chat_are_refused_and_change_nothing(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    alice, bob, mallory = tg_user(71_001, first_name="Alice"), tg_user(71_002, first_name="Bob"), tg_user(71_003)
    chat_id = await ended_chat(app, alice, bob)
    await onboard(app, mallory)
    before = await snapshot(pool)
    telegram.clear()
    forged = [
        f"r:{chat_id}:1", f"r:{chat_id}:-1", f"rp:{chat_id}:abuse:1:0", f"rp:{chat_id}:spam:0:0", f"b:{chat_id}",
        f"r:{alice.id}:1", f"b:{bob.id}", f"r:{2**63}:1", f"rp:{10**30}:spam:1:0", "r:-1:1", "b:0", "rp:x:spam:1:0",
        f"rp:{chat_id}:spam:1:{2**40}",
    ]  # fmt: skip

    await feed(app, *(callback_update(mallory, data) for data in forged))

    answers = [request.text for request in telegram.of_type(AnswerCallbackQuery)]
    assert answers == [NO_LONGER_ACTIVE] * len(forged)
    assert await snapshot(pool) == before
    assert telegram.sent_to(alice.id) == telegram.sent_to(bob.id) == []
    assert leaked(telegram, mallory, alice, bob) == []
    report(pytestconfig, "forged buttons", forged=len(forged), refused=len(answers), changes=0)


async def test_admin_commands_say_nothing_more_to_others_than_any_unknown_command(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    alice, bob, mallory = tg_user(71_011), tg_user(71_012), tg_user(71_013)
    chat_id = await ended_chat(app, alice, bob)
    await onboard(app, mallory)
    await feed(app, message_update(mallory, "/nonsense"))
    unknown = telegram.texts_to(mallory.id)[-1]
    before = await snapshot(pool)
    telegram.clear()
    commands = ["/stats", f"/ban {bob.id}", f"/ban {bob.id} 999", f"/unban {bob.id}", f"/history {chat_id}"]

    await feed(app, *(message_update(mallory, command) for command in commands))

    assert telegram.texts_to(mallory.id) == [unknown] * len(commands)
    assert await snapshot(pool) == before
    report(pytestconfig, "admin commands from others", commands=len(commands), answered_like_unknown=len(commands))


# --- what never reaches the partner --------------------------------------------------------------


async def test_links_to_accounts_contacts_and_locations_never_reach_the_partner(
    app: App, telegram: FakeTelegram, pytestconfig: pytest.Config
) -> None:
    alice, bob = tg_user(71_021, first_name="Alice"), tg_user(71_022, first_name="Bob")
    ghost = tg_user(71_029, first_name="Ghost")
    await start_chat(app, alice, bob)
    telegram.clear()
    mention = MessageEntity(type="text_mention", offset=0, length=5, user=ghost)
    own = MessageEntity(type="text_mention", offset=6, length=5, user=alice)

    await feed(
        app,
        message_update(alice, "look: this is me", entities=[mention, own]),
        message_update(alice, photo=photo(), caption="who is it", caption_entities=[mention]),
        message_update(alice, contact=contact()),
        message_update(alice, location=location()),
    )

    to_bob = telegram.sent_to(bob.id)
    assert [type(request) for request in to_bob] == [SendMessage, CopyMessage]
    assert isinstance(to_bob[0], SendMessage)
    assert all(entity.type != "text_mention" for entity in to_bob[0].entities or [])
    assert isinstance(to_bob[1], CopyMessage) and to_bob[1].caption_entities == []
    assert leaked(telegram, bob, alice, ghost) == []
    assert telegram.texts_to(alice.id) == [REFUSED_PERSONAL] * 2
    report(pytestconfig, "anonymity of relayed messages", text_mentions_stripped=2, personal_refused=2, leaks=0)


async def test_the_flood_guard_holds_back_messages_over_the_limit_with_one_notice(
    app: App, telegram: FakeTelegram, pytestconfig: pytest.Config
) -> None:
    alice, bob = tg_user(71_031), tg_user(71_032)
    await start_chat(app, alice, bob)
    telegram.clear()
    limit = app.settings.flood_max_messages
    burst = [message_update(alice, f"spam {n}") for n in range(limit + 10)]

    await feed(app, *burst)

    copied = [request.message_id for request in telegram.copies_to(bob.id)]
    assert copied == [update.message.message_id for update in burst[:limit] if update.message is not None]
    notices = [text for text in telegram.texts_to(alice.id) if FLOOD_NOTICE in text]
    assert len(notices) == 1
    report(pytestconfig, "flood guard", sent=len(burst), limit=limit, delivered=len(copied), notices=len(notices))


# --- SQL is never built from strings -------------------------------------------------------------

DATABASE_CALLS = {"execute", "executemany", "fetch", "fetchrow", "fetchval"}
# Quoted database names for CREATE/DROP DATABASE, which take no parameters.
IDENTIFIER_BUILDERS = {Path("roulette/storage/admin.py")}
# Runs the fixed texts of sql/functions/*.sql (checked below with the other SQL files).
SQL_FILE_RUNNERS = {Path("roulette/storage/migrations.py")}


def _query_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to `sql("name")` or to a plain string."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            loaded = (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "sql"
                and len(value.args) == 1
                and isinstance(value.args[0], ast.Constant)
            )
            if loaded or (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                names.add(node.targets[0].id)
    return names


def unparameterised_queries(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _query_constants(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in DATABASE_CALLS or not node.args:
            continue
        query = node.args[0]
        plain = isinstance(query, ast.Constant) and isinstance(query.value, str)
        if not plain and not (isinstance(query, ast.Name) and query.id in constants):
            found.append(f"{path}:{node.lineno}: {ast.unparse(query)}")
    return found


async def test_every_query_in_the_app_is_a_fixed_text_with_parameters(pytestconfig: pytest.Config) -> None:
    files = sorted((ROOT / "roulette").rglob("*.py"))
    checked = [path for path in files if path.relative_to(ROOT) not in IDENTIFIER_BUILDERS | SQL_FILE_RUNNERS]
    found = [problem for path in checked for problem in unparameterised_queries(path)]
    assert found == []
    assert len(unparameterised_queries(ROOT / "roulette/storage/admin.py")) == 2  # the scan does see f-strings
    sql_files = sorted((ROOT / "sql").rglob("*.sql"))
    for path in sql_files:
        text = path.read_text(encoding="utf-8")
        assert "%s" not in text and "%(" not in text and "{" not in text.replace("'{}'", ""), path
    report(pytestconfig, "parameterised sql", python_files=len(checked), sql_files=len(sql_files), built_queries=0)


# --- moderation and retention --------------------------------------------------------------------


async def test_reports_from_enough_distinct_users_ban_and_end_the_chat_and_admins_hear_of_it(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    troll = tg_user(71_040)
    reporters = [tg_user(71_041 + n) for n in range(app.settings.report_ban_threshold)]
    chats = []
    for reporter in reporters:
        chats.append(await ended_chat(app, troll, reporter))
    bystander = tg_user(71_049)
    await start_chat(app, troll, bystander)  # the troll is talking to someone when the last report lands
    telegram.clear()

    for reporter, chat_id in zip(reporters, chats, strict=True):
        await feed(app, callback_update(reporter, Report(chat_id=chat_id, reason=ReportReason.ABUSE).pack()))

    assert await app.usecases.get_current_chat(troll.id) is Unpaired.IDLE
    assert "Your partner has left the chat" in telegram.texts_to(bystander.id)[-2]
    admin_notes = telegram.texts_to(ADMIN_ID)
    assert len(admin_notes) == len(reporters) and "now banned" in admin_notes[-1]
    await feed(app, message_update(troll, "/search"))
    user = await app.usecases.get_user(troll.id)
    assert user is not None and user.banned_until is not None
    assert user.banned_until.strftime("%Y-%m-%d %H:%M") in telegram.last_text_to(troll.id)
    assert await app.usecases.get_current_chat(troll.id) is not Unpaired.SEARCHING
    # The moderator opens the last report from its notice, and reads the chat without ids or names.
    markup = telegram.last_markup_to(ADMIN_ID)
    assert markup is not None
    [[open_button]] = markup.inline_keyboard
    assert open_button.callback_data is not None
    telegram.clear()
    await feed(app, callback_update(tg_user(ADMIN_ID), open_button.callback_data))
    assert telegram.last_text_to(ADMIN_ID).startswith("<b>Report</b>")
    assert leaked(telegram, tg_user(ADMIN_ID), troll, reporters[-1]) == []
    await no_violations(pool)
    report(
        pytestconfig,
        "report threshold",
        reports=len(reporters),
        threshold=app.settings.report_ban_threshold,
        banned=1,
        chats_ended=1,
        admin_notices=len(admin_notes),
    )


async def test_a_blocked_pair_and_an_adult_with_a_minor_are_never_paired(
    app: App, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    alice, bob = tg_user(71_051), tg_user(71_052)
    chat_id = await ended_chat(app, alice, bob)
    await feed(app, callback_update(alice, f"b:{chat_id}"))
    adult, minor = tg_user(71_053), tg_user(71_054)
    await onboard(app, adult, age="30")
    await onboard(app, minor, age="16")

    rounds = 5
    for _ in range(rounds):
        for user in (alice, bob, adult, minor):
            await feed(app, message_update(user, "/search"))
        for user in (alice, bob, adult, minor):
            status = await app.usecases.get_current_chat(user.id)
            if isinstance(status, InChat):
                pair = {user.id, status.partner_id}
                assert pair != {alice.id, bob.id} and pair != {adult.id, minor.id}, pair
                assert pair not in ({alice.id, minor.id}, {bob.id, minor.id})
            await feed(app, message_update(user, "/stop"))
    blocked_chats = await pool.fetchval(
        "SELECT count(*) FROM chats WHERE id > $1 AND ((user_a = $2 AND user_b = $3) OR (user_a = $3 AND user_b = $2))",
        chat_id,
        alice.id,
        bob.id,
    )
    mixed = await pool.fetchval(
        "SELECT count(*) FROM chats c JOIN users a ON a.id = c.user_a JOIN users b ON b.id = c.user_b "
        "WHERE (a.age >= 18) <> (b.age >= 18)"
    )
    assert blocked_chats == mixed == 0
    await no_violations(pool)
    report(pytestconfig, "pairing safety", search_rounds=rounds, blocked_pair_chats=0, adult_minor_chats=0)


async def test_the_retention_purge_deletes_the_messages_of_chats_ended_past_the_period_and_keeps_the_rest(
    app: App, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    alice, bob, carol, dave = tg_user(71_061), tg_user(71_062), tg_user(71_063), tg_user(71_064)
    expired = await start_chat(app, alice, bob)
    await feed(app, *(message_update(alice, f"message {n}") for n in range(3)), message_update(alice, "/stop"))
    recent = await start_chat(app, carol, dave)
    await feed(app, *(message_update(carol, f"message {n}") for n in range(3)), message_update(carol, "/stop"))
    hours = app.settings.message_retention_hours
    await pool.execute(
        "UPDATE chats SET ended_at = now() - make_interval(hours => $1 + 1) WHERE id = $2", hours, expired
    )
    # just inside the period
    await pool.execute(
        "UPDATE chats SET ended_at = now() - make_interval(hours => $1) + interval '1 minute' WHERE id = $2",
        hours,
        recent,
    )

    purged = await app.usecases.purge_expired()

    kept = [message.content.text for message in await app.usecases.get_chat_history(recent)]
    assert purged.messages == 3 and await app.usecases.get_chat_history(expired) == []
    assert kept == ["message 0", "message 1", "message 2"]
    await no_violations(pool)
    report(pytestconfig, "retention purge", retention_hours=hours, expired=3, purged=purged.messages, kept=len(kept))


async def test_deleteme_erases_the_user_at_once(
    app: App, telegram: FakeTelegram, pool: asyncpg.Pool[Any], pytestconfig: pytest.Config
) -> None:
    alice, bob = tg_user(71_071), tg_user(71_072)
    earlier = await ended_chat(app, alice, bob)
    await feed(app, callback_update(bob, f"r:{earlier}:1"))  # a like Alice received
    await start_chat(app, alice, bob)
    await feed(app, message_update(alice, "soon gone"), message_update(alice, "/deleteme"))

    await feed(app, callback_update(alice, "d:1"))

    left = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM users WHERE id = $1) AS users,"
        " (SELECT count(*) FROM messages WHERE sender_id = $1) AS messages,"
        " (SELECT count(*) FROM ratings WHERE ratee_id = $1) AS ratings,"
        " (SELECT count(*) FROM search_queue WHERE user_id = $1) AS queue,"
        " (SELECT count(*) FROM fsm_state WHERE user_id = $1) AS fsm,"
        " (SELECT count(*) FROM chat_participants WHERE user_id = $1 AND active) AS active_chats",
        alice.id,
    )
    assert left is not None
    assert dict(left) == {"users": 0, "messages": 0, "ratings": 0, "queue": 0, "fsm": 0, "active_chats": 0}
    assert "Your partner has left the chat" in telegram.texts_to(bob.id)[-2]
    await no_violations(pool)
    report(pytestconfig, "/deleteme", rows_left=sum(dict(left).values()), partner_told=1)
