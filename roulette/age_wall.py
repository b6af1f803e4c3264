"""The wall between adults and minors, as rules on one user's own profile and wishes.

Pairing keeps the classes apart (domain.pairing_obstacle); these rules keep a user from walking
through the wall by editing: the class is fixed by the first age declared (an edit may change the
age within it, never across 18), and partner ages can only be wished within one's own class,
where a partner can exist. Pure Python, like roulette/domain.py.
"""

from __future__ import annotations

from dataclasses import replace

from roulette.domain import ADULT_AGE
from roulette.domain import MAX_AGE
from roulette.domain import MIN_AGE
from roulette.domain import DomainError
from roulette.domain import SearchPreferences
from roulette.domain import is_adult


class AcrossTheWall(DomainError):
    """An age on the other side of 18 from the user's class; the database refuses it too."""


def class_ages(age: int) -> tuple[int, int]:
    """The youngest and the oldest age of the class `age` belongs to."""
    return (ADULT_AGE, MAX_AGE) if is_adult(age) else (MIN_AGE, ADULT_AGE - 1)


def may_change_age(current: int | None, new: int) -> bool:
    """A user's own edit: the first age sets the class, every later one stays in it."""
    return current is None or is_adult(current) == is_adult(new)


def within_class(preferences: SearchPreferences, age: int | None) -> SearchPreferences | None:
    """The wished partner ages cut to the user's class; None when no age of the class is left.
    Without a declared age there is no class yet, and nothing to cut."""
    if age is None:
        return preferences
    youngest, oldest = class_ages(age)
    low, high = max(preferences.age_min, youngest), min(preferences.age_max, oldest)
    if low > high:
        return None
    return replace(preferences, age_min=low, age_max=high)


def fitted_to_class(preferences: SearchPreferences, age: int) -> SearchPreferences:
    """The wishes after the user's age was set: cut to the class, or the whole class when the
    wished ages lay entirely outside it (they could never be met)."""
    youngest, oldest = class_ages(age)
    return within_class(preferences, age) or replace(preferences, age_min=youngest, age_max=oldest)
