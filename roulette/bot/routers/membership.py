"""A user blocking or unblocking the bot (my_chat_member updates)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED
from aiogram.filters import MEMBER
from aiogram.filters import ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from roulette.bot.delivery import Courier
from roulette.usecases import UseCases


def build_router() -> Router:
    router = Router(name="membership")
    router.my_chat_member.register(on_bot_blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(on_bot_unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return router


async def on_bot_blocked(event: ChatMemberUpdated, usecases: UseCases, courier: Courier) -> None:
    closed = await usecases.set_bot_blocked(event.from_user.id, True)
    if closed is not None:
        await courier.announce_chat_end(closed, ended_by=event.from_user.id)


async def on_bot_unblocked(event: ChatMemberUpdated, usecases: UseCases) -> None:
    await usecases.set_bot_blocked(event.from_user.id, False)
