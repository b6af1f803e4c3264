"""Which language to speak to a user: their saved choice, else Telegram's language_code."""

from __future__ import annotations

from collections import OrderedDict

from roulette.domain import Language
from roulette.usecases.account import GetUser


class Languages:
    """A bounded in-process cache of users' languages, so the relay path needs no extra query.

    Another worker process may change a user's language; this process then answers in the
    old one until the entry is evicted or the user runs /language here. Entries are tiny.
    """

    def __init__(self, get_user: GetUser, default: Language, max_entries: int = 50_000) -> None:
        self._get_user = get_user
        self._default = default
        self._max_entries = max_entries
        self._known: OrderedDict[int, Language] = OrderedDict()

    def remember(self, user_id: int, language: Language) -> None:
        self._known[user_id] = language
        self._known.move_to_end(user_id)
        while len(self._known) > self._max_entries:
            self._known.popitem(last=False)

    def forget(self, user_id: int) -> None:
        self._known.pop(user_id, None)

    async def of(self, user_id: int, telegram_code: str | None = None) -> Language:
        language = self._known.get(user_id)
        if language is not None:
            return language
        user = await self._get_user(user_id)
        if user is None:
            # not registered yet: don't cache, /start will register them with this language
            return Language.from_code(telegram_code, self._default)
        self.remember(user_id, user.language)
        return user.language
