"""Buttons nothing else recognised: stale keyboards and forged data."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery

from roulette.bot.callbacks import names_an_unoffered_choice
from roulette.bot.texts import no_longer_active
from roulette.bot.texts import use_the_buttons


class UnofferedChoice(BaseFilter):
    async def __call__(self, query: CallbackQuery) -> bool:
        return names_an_unoffered_choice(query.data or "")


def build_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(on_unoffered_choice, UnofferedChoice())
    router.callback_query.register(on_stale_button)
    return router


async def on_unoffered_choice(query: CallbackQuery) -> None:
    await query.answer(use_the_buttons())


async def on_stale_button(query: CallbackQuery) -> None:
    await query.answer(no_longer_active())
