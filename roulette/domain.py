"""Anochat's domain: who a user is, whom they may be paired with, what a valid message is.

Pure Python: nothing here knows about Telegram, aiogram or PostgreSQL.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

MIN_AGE = 13
MAX_AGE = 99
ADULT_AGE = 18
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


class DomainError(Exception):
    """A rule of the product was broken; the message is for logs, handlers show their own text."""


class InvalidAge(DomainError):
    pass


class InvalidInterest(DomainError):
    pass


class InvalidPreferences(DomainError):
    pass


class InvalidMessage(DomainError):
    pass


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class PartnerGender(enum.StrEnum):
    ANY = "any"
    MALE = "male"
    FEMALE = "female"

    def accepts(self, gender: Gender | None) -> bool:
        return self is PartnerGender.ANY or (gender is not None and self.value == gender.value)


class InterestsMode(enum.StrEnum):
    IGNORE = "ignore"  # interests play no part in matching
    PREFER = "prefer"  # partners with more shared interests come first
    REQUIRE = "require"  # at least one shared interest


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    MINOR = "minor"  # seems underage, or an adult among teens: the reported user is held for review
    OTHER = "other"


class PartnerLanguage(enum.StrEnum):
    SAME = "same"  # only a partner whose bot language is the user's own
    ANY = "any"


class MediaDelivery(enum.StrEnum):
    """How a partner's photos and videos reach a user (their choice in /settings)."""

    SHOWN = "shown"
    BLURRED = "blurred"  # Telegram's spoiler: hidden until the user taps it
    TEXT = "text"  # a line saying what was sent, and no media at all


class Language(enum.StrEnum):
    EN = "en"
    RU = "ru"

    @classmethod
    def from_code(cls, code: str | None, default: Language) -> Language:
        """Telegram's `language_code` ("ru", "ru-RU", "en-GB", None) to a supported language."""
        if code:
            prefix = code.split("-", 1)[0].lower()
            for language in cls:
                if language.value == prefix:
                    return language
        return default


# The fixed catalog of interests; stored as these tags, shown translated.
INTEREST_CATALOG: tuple[str, ...] = (
    "music",
    "movies",
    "books",
    "games",
    "sports",
    "travel",
    "tech",
    "art",
    "science",
    "food",
    "anime",
    "pets",
)


@dataclass(frozen=True, slots=True)
class Interests:
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = self.tags - set(INTEREST_CATALOG)
        if unknown:
            raise InvalidInterest(f"unknown interests: {sorted(unknown)}")

    @classmethod
    def of(cls, tags: Iterable[str]) -> Interests:
        return cls(frozenset(tags))

    def toggled(self, tag: str) -> Interests:
        return Interests(self.tags ^ {tag})

    def shared_with(self, other: Interests) -> frozenset[str]:
        return self.tags & other.tags

    def ordered(self) -> list[str]:
        """Tags in catalog order, for display and storage."""
        return [tag for tag in INTEREST_CATALOG if tag in self.tags]


def validate_age(age: int) -> int:
    if not MIN_AGE <= age <= MAX_AGE:
        raise InvalidAge(f"age must be between {MIN_AGE} and {MAX_AGE}")
    return age


def parse_age(text: str) -> int:
    """A typed age ("  27 ") to an int, or InvalidAge."""
    stripped = text.strip()
    if not stripped.isdecimal() or len(stripped) > 3:
        raise InvalidAge("age must be a whole number")
    return validate_age(int(stripped))


def is_adult(age: int) -> bool:
    return age >= ADULT_AGE


@dataclass(frozen=True, slots=True)
class Profile:
    gender: Gender | None = None
    age: int | None = None
    interests: Interests = field(default_factory=Interests)

    def __post_init__(self) -> None:
        if self.age is not None:
            validate_age(self.age)

    @property
    def is_complete(self) -> bool:
        return self.gender is not None and self.age is not None


@dataclass(frozen=True, slots=True)
class SearchPreferences:
    partner_gender: PartnerGender = PartnerGender.ANY
    age_min: int = MIN_AGE
    age_max: int = MAX_AGE
    interests_mode: InterestsMode = InterestsMode.PREFER
    partner_language: PartnerLanguage = PartnerLanguage.SAME

    def __post_init__(self) -> None:
        validate_age(self.age_min)
        validate_age(self.age_max)
        if self.age_min > self.age_max:
            raise InvalidPreferences("the lower age bound is above the upper one")

    def accepts(self, profile: Profile) -> bool:
        return (
            self.partner_gender.accepts(profile.gender)
            and profile.age is not None
            and self.age_min <= profile.age <= self.age_max
        )


@dataclass(frozen=True, slots=True)
class Reputation:
    likes: int = 0
    dislikes: int = 0

    @property
    def score(self) -> int:
        return self.likes - self.dislikes

    @property
    def rated(self) -> int:
        return self.likes + self.dislikes


@dataclass(frozen=True, slots=True)
class User:
    id: int
    language: Language = Language.EN
    profile: Profile = field(default_factory=Profile)
    preferences: SearchPreferences = field(default_factory=SearchPreferences)
    reputation: Reputation = field(default_factory=Reputation)
    banned_until: datetime | None = None
    partner_media: MediaDelivery | None = None  # None: the default for their age

    def is_banned(self, now: datetime) -> bool:
        return self.banned_until is not None and self.banned_until > now

    @property
    def held_for_review(self) -> bool:
        """Kept from pairing until an admin has looked at a report (see REVIEW_HOLD_UNTIL)."""
        return self.banned_until is not None and self.banned_until >= REVIEW_HOLD_UNTIL


def pairing_obstacle(a: User, b: User, *, blocked: bool = False) -> str | None:
    """None when `a` and `b` may be paired, else a short reason.

    Both users' preferences must hold both ways (gender, age, language); adults and minors are never paired;
    a blocked pair and a user with themself never are either.
    """
    if a.id == b.id:
        return "a user cannot be paired with themself"
    if blocked:
        return "one of them blocked the other"
    if not (a.profile.is_complete and b.profile.is_complete):
        return "a profile is incomplete"
    assert a.profile.age is not None and b.profile.age is not None
    if is_adult(a.profile.age) != is_adult(b.profile.age):
        return "adults and minors are never paired"
    if not a.preferences.accepts(b.profile) or not b.preferences.accepts(a.profile):
        return "gender or age preferences do not hold both ways"
    if a.language != b.language and PartnerLanguage.SAME in (
        a.preferences.partner_language,
        b.preferences.partner_language,
    ):
        return "one of them wants a partner of their own language"
    shared = a.profile.interests.shared_with(b.profile.interests)
    for user in (a, b):
        if user.preferences.interests_mode is InterestsMode.REQUIRE and not shared:
            return "no shared interest, which one of them requires"
    return None


def can_pair(a: User, b: User, *, blocked: bool = False) -> bool:
    return pairing_obstacle(a, b, blocked=blocked) is None


@dataclass(frozen=True, slots=True)
class PrivateChat:
    """An active or ended 1-on-1 chat: ids only."""

    id: int
    user_a: int
    user_b: int
    active: bool = True

    def __post_init__(self) -> None:
        if self.user_a == self.user_b:
            raise DomainError("a chat needs two different users")

    def partner_of(self, user_id: int) -> int:
        if user_id == self.user_a:
            return self.user_b
        if user_id == self.user_b:
            return self.user_a
        raise DomainError("the user is not in this chat")

    def has(self, user_id: int) -> bool:
        return user_id in (self.user_a, self.user_b)


class MessageKind(enum.StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    VOICE = "voice"
    VIDEO_NOTE = "video_note"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    DICE = "dice"
    POLL = "poll"


MEDIA_KINDS = frozenset(
    {
        MessageKind.PHOTO,
        MessageKind.VIDEO,
        MessageKind.ANIMATION,
        MessageKind.VOICE,
        MessageKind.VIDEO_NOTE,
        MessageKind.AUDIO,
        MessageKind.DOCUMENT,
        MessageKind.STICKER,
    }
)
# Kinds that cannot carry a caption in Telegram.
CAPTIONLESS_KINDS = frozenset({MessageKind.STICKER, MessageKind.VIDEO_NOTE, MessageKind.DICE, MessageKind.POLL})


@dataclass(frozen=True, slots=True)
class MessageContent:
    kind: MessageKind
    text: str | None = None
    caption: str | None = None
    file_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind is MessageKind.TEXT:
            if not self.text or not self.text.strip():
                raise InvalidMessage("a text message needs text")
            if len(self.text) > MAX_TEXT_LENGTH:
                raise InvalidMessage(f"text is longer than {MAX_TEXT_LENGTH} characters")
            if self.caption is not None or self.file_id is not None:
                raise InvalidMessage("a text message has no caption or file")
            return
        if self.text is not None:
            raise InvalidMessage("only text messages carry text")
        if self.kind in MEDIA_KINDS and not self.file_id:
            raise InvalidMessage(f"a {self.kind.value} needs a file")
        if self.caption is not None:
            if self.kind in CAPTIONLESS_KINDS:
                raise InvalidMessage(f"a {self.kind.value} has no caption")
            check_caption_length(self.caption)

    @classmethod
    def text_message(cls, text: str) -> MessageContent:
        return cls(MessageKind.TEXT, text=text)

    @classmethod
    def media(cls, kind: MessageKind, file_id: str | None, caption: str | None = None) -> MessageContent:
        return cls(kind, caption=caption or None, file_id=file_id)


def check_caption_length(caption: str) -> None:
    """Telegram's limit on a caption, for a new message and an edit alike."""
    if len(caption) > MAX_CAPTION_LENGTH:
        raise InvalidMessage(f"caption is longer than {MAX_CAPTION_LENGTH} characters")


def check_edit(*, text: str | None = None, caption: str | None = None) -> None:
    """An edited text or caption obeys the rules of a new message's."""
    if text is not None:
        MessageContent.text_message(text)
    if caption is not None:
        check_caption_length(caption)


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    chat_id: int
    sender_id: int
    content: MessageContent
    source_message_id: int
    relayed_message_id: int | None
    media_group_id: str | None
    created_at: datetime


# --- moderation and media -------------------------------------------------------------------

# A user reported as "seems underage / adult among teens" is kept from pairing until an admin has
# looked: a ban with no end in sight, which every pairing rule already honours. A real date, not
# PostgreSQL's 'infinity', which has no time zone on the Python side.
REVIEW_HOLD_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)


# Blurring is Telegram's spoiler, which only photos, videos and animations have.
BLURRABLE_KINDS = frozenset({MessageKind.PHOTO, MessageKind.VIDEO, MessageKind.ANIMATION})
# What "text only" replaces with a line: everything that shows a picture.
VISUAL_KINDS = BLURRABLE_KINDS | {MessageKind.STICKER, MessageKind.VIDEO_NOTE, MessageKind.DOCUMENT}


def media_delivery(setting: MediaDelivery | None, age: int | None) -> MediaDelivery:
    """How media reach a user: their own choice, else blurred for a minor and shown for an adult."""
    if setting is not None:
        return setting
    return MediaDelivery.SHOWN if age is not None and is_adult(age) else MediaDelivery.BLURRED
