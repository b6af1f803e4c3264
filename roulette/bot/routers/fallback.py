"""Buttons nothing else recognised: stale keyboards and forged data."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

router = Router(name="fallback")


@router.callback_query()
async def on_stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active."))
