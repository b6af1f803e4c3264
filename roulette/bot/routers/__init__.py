"""One router per feature; `all_routers` fixes the order (the relay catches every other message, so it is last)."""

from __future__ import annotations

from aiogram import Router

from roulette.bot.routers import account, admin, fallback, membership, onboarding, preferences, profile, rating, relay
from roulette.bot.routers import search as search_router


def all_routers(admin_ids: frozenset[int]) -> list[Router]:
    return [
        membership.router,
        admin.build_router(admin_ids),
        onboarding.router,
        profile.router,
        preferences.router,
        search_router.router,
        rating.router,
        account.router,
        relay.router,
        fallback.router,
    ]
