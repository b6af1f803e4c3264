"""The garbage collector as the bot runs it (roulette/bot/app.py prepare_heap)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from roulette.bot.app import YOUNG_COLLECTION_THRESHOLD
from roulette.bot.app import prepare_heap


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_restored")
def test_the_startup_heap_is_frozen_and_young_collections_are_rarer() -> None:
    _young, older, oldest = gc.get_threshold()
    prepare_heap()
    assert gc.get_freeze_count() > 0  # what the imports and the app built is out of the collector's sight
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, older, oldest)  # the older generations keep theirs
