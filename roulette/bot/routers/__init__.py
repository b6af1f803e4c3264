"""One router per feature; `all_routers` fixes the order and keeps them all to private chats.

Chat messages are nearly all updates, so the relay comes first for anything that is not a
command, sparing them the walk past every command handler; commands go through the feature
routers, and a command nobody knows reaches the relay again at the end.
"""

from __future__ import annotations

from aiogram import Router

from roulette.bot.filters import IsPrivate, NotCommand
from roulette.bot.routers import account, admin, fallback, membership, onboarding, preferences, profile, rating, relay
from roulette.bot.routers import search as search_router


def _fresh(feature: Router) -> Router:
    """A new router with the feature's handlers.

    A Router joins one Dispatcher for good, and the feature modules declare theirs once, at
    import; every app built in a process (a test, a restart) needs routers of its own.
    """
    router = Router(name=feature.name)
    for event, observer in feature.observers.items():
        router.observers[event].handlers.extend(observer.handlers)
    return router


def all_routers(admin_ids: frozenset[int]) -> list[Router]:
    private_chats = Router(name="private chats")
    for observer in (
        private_chats.message,
        private_chats.edited_message,
        private_chats.callback_query,
        private_chats.my_chat_member,
    ):
        observer.filter(IsPrivate())
    chat_messages = _fresh(relay.router)
    chat_messages.message.filter(NotCommand())
    unknown_commands = Router(name="unknown commands")
    unknown_commands.message.handlers.extend(relay.router.message.handlers)
    private_chats.include_routers(
        chat_messages,
        _fresh(membership.router),
        admin.build_router(admin_ids),
        _fresh(onboarding.router),
        _fresh(profile.router),
        _fresh(preferences.router),
        _fresh(search_router.router),
        _fresh(rating.router),
        _fresh(account.router),
        unknown_commands,
        _fresh(fallback.router),
    )
    return [private_chats]
