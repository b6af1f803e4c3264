"""One router per feature, each built by its module's `build_router`; `route` keeps the bot to
private chats and fixes the order.

Chat messages are nearly all updates, so the relay comes first for anything that is not a
command, sparing them the walk past every command handler; commands go through the feature
routers, and a command nobody knows is relayed by the last message router. The relay's
handlers sit on the dispatcher itself: every router level a message walks through costs
~8 µs of aiogram's propagation (docs/performance.md), on every one of them.
"""

from __future__ import annotations

from aiogram import Router

from roulette.bot.filters import IsPrivate
from roulette.bot.routers import account
from roulette.bot.routers import admin
from roulette.bot.routers import fallback
from roulette.bot.routers import membership
from roulette.bot.routers import onboarding
from roulette.bot.routers import preferences
from roulette.bot.routers import profile
from roulette.bot.routers import rating
from roulette.bot.routers import reactions
from roulette.bot.routers import reconnect
from roulette.bot.routers import relay
from roulette.bot.routers import search as search_router
from roulette.bot.routers import unsend
from roulette.bot.typed_answers import TypedAnswers


def route(root: Router, admin_ids: frozenset[int], typed_answers: TypedAnswers) -> None:
    """Give `root` (the dispatcher) every handler, on fresh routers (a Router joins one parent for
    good); features register their typed answers."""
    for observer in (
        root.message,
        root.edited_message,
        root.callback_query,
        root.my_chat_member,
        root.message_reaction,
    ):
        observer.filter(IsPrivate())
    relay.register(root)
    root.include_routers(
        membership.build_router(),
        admin.build_router(admin_ids),
        onboarding.build_router(typed_answers),
        profile.build_router(typed_answers),
        preferences.build_router(),
        search_router.build_router(),
        rating.build_router(),
        reconnect.build_router(),
        account.build_router(),
        reactions.build_router(),
        unsend.build_router(),
        relay.build_unknown_commands_router(),
        fallback.build_router(),
    )
