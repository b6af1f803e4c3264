"""One router per feature, each built by its module's `build_router`; `all_routers` fixes the
order and keeps them all to private chats.

Chat messages are nearly all updates, so the relay comes first for anything that is not a
command, sparing them the walk past every command handler; commands go through the feature
routers, and a command nobody knows is relayed by the last message router.
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


def all_routers(admin_ids: frozenset[int], typed_answers: TypedAnswers) -> list[Router]:
    """Fresh routers (a Router joins one Dispatcher for good); features register their typed answers."""
    private_chats = Router(name="private chats")
    for observer in (
        private_chats.message,
        private_chats.edited_message,
        private_chats.callback_query,
        private_chats.my_chat_member,
        private_chats.message_reaction,
    ):
        observer.filter(IsPrivate())
    private_chats.include_routers(
        relay.build_router(),
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
    return [private_chats]
