"""Which of a waiting user's own wishes narrows their pool most, from aggregate counts of the queue.

Pure rules. The counts say how many wait per class (adults, minors), gender, age and language,
and per interest: nothing about any one person. The answer names only the user's own wish, so
what a user is told reveals nothing about anybody else.

Each wish is measured alone, against everybody else waiting in the user's class: the share of
them it keeps. The wish that keeps the fewest is the one to widen, if it keeps at most half;
a wish that keeps more than that is not what makes the wait long. A tie goes to the wish
asked about first in /settings' order: age, gender, language, interests.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass

from roulette.domain import ADULT_AGE
from roulette.domain import MAX_AGE
from roulette.domain import MIN_AGE
from roulette.domain import InterestsMode
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import User
from roulette.domain import is_adult


class Wish(enum.StrEnum):
    PARTNER_AGE = "partner_age"
    PARTNER_GENDER = "partner_gender"
    PARTNER_LANGUAGE = "partner_language"
    SHARED_INTERESTS = "shared_interests"


# (adult, gender, age, language): how many wait with that profile
ProfileKey = tuple[bool, str, int, str]


@dataclass(frozen=True, slots=True)
class WaitingFigures:
    """How many pairable users wait, per profile and per (adult, interest)."""

    by_profile: Mapping[ProfileKey, int]
    by_interest: Mapping[tuple[bool, str], int]

    def count(self, adult: bool, keep: Callable[[str, int, str], bool] = lambda *_: True) -> int:
        """Those waiting in the class whose (gender, age, language) the filter keeps."""
        return sum(
            waiting
            for (their_class, gender, age, language), waiting in self.by_profile.items()
            if their_class == adult and keep(gender, age, language)
        )


@dataclass(frozen=True, slots=True)
class NarrowestWish:
    wish: Wish
    matching: int  # how many others waiting in the user's class the wish keeps
    others: int  # how many others wait in the user's class


def narrowest_wish(user: User, figures: WaitingFigures) -> NarrowestWish | None:
    """The user's wish that keeps the fewest of the others waiting in their class, if it keeps
    at most half of them; None when no wish narrows the pool that much, or nobody else waits."""
    age = user.profile.age
    gender = user.profile.gender
    if age is None or gender is None:
        return None
    adult = is_adult(age)
    preferences = user.preferences
    interests = user.profile.interests.tags
    # The user's own row is in the figures when they can be paired at all; they are no partner.
    requires_none = preferences.interests_mode is InterestsMode.REQUIRE and not interests
    own = 0 if requires_none else 1
    others = figures.count(adult) - own
    if others <= 0:
        return None
    lowest, highest = (ADULT_AGE, MAX_AGE) if adult else (MIN_AGE, ADULT_AGE - 1)
    matching: dict[Wish, int] = {}
    if preferences.age_min > lowest or preferences.age_max < highest:
        matching[Wish.PARTNER_AGE] = figures.count(
            adult, lambda _g, their_age, _l: preferences.age_min <= their_age <= preferences.age_max
        ) - own * (preferences.age_min <= age <= preferences.age_max)
    if preferences.partner_gender is not PartnerGender.ANY:
        matching[Wish.PARTNER_GENDER] = figures.count(
            adult, lambda their_gender, _a, _l: their_gender == preferences.partner_gender.value
        ) - own * (gender.value == preferences.partner_gender.value)
    if preferences.partner_language is PartnerLanguage.SAME:
        matching[Wish.PARTNER_LANGUAGE] = (
            figures.count(adult, lambda _g, _a, their_language: their_language == user.language.value) - own
        )
    if preferences.interests_mode is InterestsMode.REQUIRE:
        # Per-interest counts cannot tell how many share at least one interest with the user;
        # their sum is an upper bound (someone sharing two is counted twice), so interests are
        # named only when even that bound is the lowest.
        sharing = sum(figures.by_interest.get((adult, tag), 0) for tag in interests) - own * len(interests)
        matching[Wish.SHARED_INTERESTS] = min(others, sharing)
    if not matching:
        return None
    wish = min(matching, key=lambda candidate: matching[candidate])
    if matching[wish] * 2 > others:
        return None
    # never below zero, even if the user's row changed between the claim and the counts
    return NarrowestWish(wish, max(0, matching[wish]), others)
