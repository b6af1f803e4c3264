"""Test and benchmark data: users written straight into the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from roulette.domain import User


async def add_users(pool: asyncpg.Pool[Any], users: Iterable[User]) -> None:
    """Insert users with their profiles, languages and wishes in one round trip."""
    await pool.executemany(
        "INSERT INTO users (id, gender, age, interests, partner_gender, partner_age_min, partner_age_max,"
        " interests_mode, language, partner_language) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            (
                user.id,
                user.profile.gender.value if user.profile.gender else None,
                user.profile.age,
                user.profile.interests.ordered(),
                user.preferences.partner_gender.value,
                user.preferences.age_min,
                user.preferences.age_max,
                user.preferences.interests_mode.value,
                user.language.value,
                user.preferences.partner_language.value,
            )
            for user in users
        ],
    )
