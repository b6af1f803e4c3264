"""The rules of the product, without a database: ages, interests, messages, and who may meet whom."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roulette.domain import INTEREST_CATALOG
from roulette.domain import MAX_AGE
from roulette.domain import MAX_CAPTION_LENGTH
from roulette.domain import MAX_TEXT_LENGTH
from roulette.domain import MIN_AGE
from roulette.domain import DomainError
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import InvalidAge
from roulette.domain import InvalidInterest
from roulette.domain import InvalidMessage
from roulette.domain import InvalidPreferences
from roulette.domain import Language
from roulette.domain import MessageContent
from roulette.domain import MessageKind
from roulette.domain import PartnerGender
from roulette.domain import PrivateChat
from roulette.domain import Profile
from roulette.domain import Reputation
from roulette.domain import SearchPreferences
from roulette.domain import User
from roulette.domain import can_pair
from roulette.domain import check_edit
from roulette.domain import is_adult
from roulette.domain import pairing_obstacle
from roulette.domain import parse_age
from roulette.domain import validate_age

# --- ages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "age"),
    [
        (" 27 ", 27),
        ("13", 13),
        ("99", 99),
        ("018", 18),
        ("\t42\n", 42),
        # Any script's decimal digits are digits: someone typing on an Arabic or a
        # full-width keyboard gets their age, not an error.
        ("٣٣", 33),
        ("２７", 27),
    ],
)
def test_a_typed_age_is_read_as_a_whole_number(typed: str, age: int) -> None:
    assert parse_age(typed) == age


@pytest.mark.parametrize(
    "typed",
    ["abc", "7", "12", "100", "200", "", "   ", "-5", "+27", "1e3", "27.0", "2 7", "0027", "²⁷", "twenty"],
)
def test_anything_but_an_age_between_13_and_99_is_refused(typed: str) -> None:
    with pytest.raises(InvalidAge):
        parse_age(typed)


def test_age_bounds_are_inclusive() -> None:
    assert validate_age(MIN_AGE) == MIN_AGE
    assert validate_age(MAX_AGE) == MAX_AGE
    for age in (MIN_AGE - 1, MAX_AGE + 1, 0, -1):
        with pytest.raises(InvalidAge):
            validate_age(age)


def test_adulthood_starts_at_18() -> None:
    assert not is_adult(17)
    assert is_adult(18)


def test_a_profile_refuses_an_impossible_age() -> None:
    with pytest.raises(InvalidAge):
        Profile(Gender.MALE, 200)


def test_a_profile_is_complete_with_gender_and_age() -> None:
    assert Profile(Gender.FEMALE, 30).is_complete
    assert not Profile(Gender.FEMALE, None).is_complete
    assert not Profile(None, 30).is_complete
    assert not Profile().is_complete


# --- interests ---------------------------------------------------------------------------


def test_interests_come_from_the_catalog_only() -> None:
    assert Interests.of(["music", "pets"]).tags == {"music", "pets"}
    with pytest.raises(InvalidInterest):
        Interests.of(["music", "knitting"])


def test_toggling_an_interest_adds_it_then_removes_it() -> None:
    interests = Interests.of(["music"])
    added = interests.toggled("books")
    assert added.tags == {"music", "books"}
    assert added.toggled("books") == interests
    assert interests.toggled("music") == Interests()


def test_toggling_an_interest_outside_the_catalog_is_refused() -> None:
    with pytest.raises(InvalidInterest):
        Interests().toggled("knitting")


def test_interests_are_listed_in_catalog_order() -> None:
    assert Interests.of(["pets", "music", "tech"]).ordered() == ["music", "tech", "pets"]
    assert Interests.of(INTEREST_CATALOG).ordered() == list(INTEREST_CATALOG)


def test_shared_interests_are_the_common_ones() -> None:
    assert Interests.of(["music", "art"]).shared_with(Interests.of(["art", "food"])) == {"art"}
    assert Interests.of(["music"]).shared_with(Interests()) == frozenset()


# --- messages ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["hi", "a" * MAX_TEXT_LENGTH, " padded ", "🙂"])
def test_a_text_message_carries_1_to_4096_characters(text: str) -> None:
    assert MessageContent.text_message(text).text == text


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "a" * (MAX_TEXT_LENGTH + 1)])
def test_an_empty_blank_or_too_long_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidMessage):
        MessageContent.text_message(text)


def test_a_text_message_has_no_caption_nor_file() -> None:
    with pytest.raises(InvalidMessage):
        MessageContent(MessageKind.TEXT)
    with pytest.raises(InvalidMessage):
        MessageContent(MessageKind.TEXT, text="hi", caption="also")
    with pytest.raises(InvalidMessage):
        MessageContent(MessageKind.TEXT, text="hi", file_id="file")


def test_a_caption_may_be_up_to_1024_characters() -> None:
    photo = MessageContent.media(MessageKind.PHOTO, "file", "c" * MAX_CAPTION_LENGTH)
    assert photo.caption == "c" * MAX_CAPTION_LENGTH
    with pytest.raises(InvalidMessage):
        MessageContent.media(MessageKind.PHOTO, "file", "c" * (MAX_CAPTION_LENGTH + 1))


@pytest.mark.parametrize(
    ("text", "caption"), [("   ", None), ("a" * (MAX_TEXT_LENGTH + 1), None), (None, "c" * (MAX_CAPTION_LENGTH + 1))]
)
def test_an_edit_obeys_the_rules_of_a_new_message(text: str | None, caption: str | None) -> None:
    with pytest.raises(InvalidMessage):
        check_edit(text=text, caption=caption)


def test_an_edit_may_use_the_whole_limit() -> None:
    check_edit(text="a" * MAX_TEXT_LENGTH)
    check_edit(caption="c" * MAX_CAPTION_LENGTH)


def test_an_empty_caption_is_no_caption() -> None:
    assert MessageContent.media(MessageKind.VIDEO, "file", "").caption is None


@pytest.mark.parametrize("kind", [MessageKind.STICKER, MessageKind.VIDEO_NOTE, MessageKind.DICE, MessageKind.POLL])
def test_kinds_telegram_sends_without_a_caption_refuse_one(kind: MessageKind) -> None:
    with pytest.raises(InvalidMessage):
        MessageContent(kind, caption="nope", file_id="file")


@pytest.mark.parametrize("kind", sorted(set(MessageKind) - {MessageKind.TEXT, MessageKind.DICE, MessageKind.POLL}))
def test_media_needs_a_file(kind: MessageKind) -> None:
    assert MessageContent.media(kind, "file").file_id == "file"
    for missing in (None, ""):
        with pytest.raises(InvalidMessage):
            MessageContent.media(kind, missing)


@pytest.mark.parametrize("kind", [MessageKind.DICE, MessageKind.POLL])
def test_dice_and_polls_need_no_file(kind: MessageKind) -> None:
    assert MessageContent(kind).file_id is None


def test_only_text_messages_carry_text() -> None:
    with pytest.raises(InvalidMessage):
        MessageContent(MessageKind.PHOTO, text="hi", file_id="file")


# --- preferences, language, chats --------------------------------------------------------


def test_default_preferences_accept_any_gender_at_any_allowed_age() -> None:
    preferences = SearchPreferences()
    assert preferences.accepts(Profile(Gender.MALE, MIN_AGE))
    assert preferences.accepts(Profile(Gender.FEMALE, MAX_AGE))
    assert not preferences.accepts(Profile(Gender.FEMALE, None))


def test_a_gender_preference_needs_a_known_gender() -> None:
    assert not SearchPreferences(PartnerGender.MALE).accepts(Profile(None, 30))
    assert SearchPreferences(PartnerGender.MALE).accepts(Profile(Gender.MALE, 30))
    assert not SearchPreferences(PartnerGender.MALE).accepts(Profile(Gender.FEMALE, 30))


@pytest.mark.parametrize(("age_min", "age_max"), [(12, 30), (20, 100), (0, 0)])
def test_preferred_ages_stay_within_the_allowed_ages(age_min: int, age_max: int) -> None:
    with pytest.raises(InvalidAge):
        SearchPreferences(age_min=age_min, age_max=age_max)


def test_the_lower_age_bound_may_not_exceed_the_upper_one() -> None:
    with pytest.raises(InvalidPreferences):
        SearchPreferences(age_min=30, age_max=29)
    assert SearchPreferences(age_min=30, age_max=30).accepts(Profile(Gender.MALE, 30))


def test_preferred_ages_are_inclusive() -> None:
    preferences = SearchPreferences(age_min=20, age_max=25)
    assert [age for age in range(18, 28) if preferences.accepts(Profile(Gender.MALE, age))] == list(range(20, 26))


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("ru-RU", Language.RU),
        ("ru", Language.RU),
        ("RU", Language.RU),
        ("en-GB", Language.EN),
        ("en", Language.EN),
        (None, Language.RU),
        ("", Language.RU),
        ("de", Language.RU),
        ("uk-UA", Language.RU),
    ],
)
def test_telegrams_language_code_picks_a_supported_language_or_the_default(
    code: str | None, language: Language
) -> None:
    assert Language.from_code(code, default=Language.RU) is language


def test_each_side_of_a_chat_has_the_other_as_partner() -> None:
    chat = PrivateChat(1, user_a=10, user_b=20)
    assert chat.partner_of(10) == 20
    assert chat.partner_of(20) == 10
    assert chat.has(10) and chat.has(20) and not chat.has(30)
    with pytest.raises(DomainError):
        chat.partner_of(30)


def test_a_chat_needs_two_different_users() -> None:
    with pytest.raises(DomainError):
        PrivateChat(1, user_a=10, user_b=10)


def test_a_ban_lasts_until_its_end() -> None:
    now = datetime.now(UTC)
    assert not User(1).is_banned(now)
    assert User(1, banned_until=now + timedelta(minutes=1)).is_banned(now)
    assert not User(1, banned_until=now - timedelta(minutes=1)).is_banned(now)
    assert not User(1, banned_until=now).is_banned(now)


def test_reputation_is_likes_minus_dislikes() -> None:
    assert Reputation(likes=5, dislikes=2).score == 3
    assert Reputation(likes=5, dislikes=2).rated == 7


# --- who may be paired -------------------------------------------------------------------


def person(
    user_id: int,
    gender: Gender | None = Gender.MALE,
    age: int | None = 25,
    *,
    wants: PartnerGender = PartnerGender.ANY,
    ages: tuple[int, int] = (MIN_AGE, MAX_AGE),
    interests: tuple[str, ...] = (),
    mode: InterestsMode = InterestsMode.PREFER,
) -> User:
    return User(
        user_id,
        profile=Profile(gender, age, Interests.of(interests)),
        preferences=SearchPreferences(wants, ages[0], ages[1], mode),
    )


MAN = Gender.MALE
WOMAN = Gender.FEMALE


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(person(1), person(2), id="defaults"),
        pytest.param(person(1, MAN, wants=PartnerGender.FEMALE), person(2, WOMAN), id="wants-her-gets-her"),
        pytest.param(
            person(1, MAN, wants=PartnerGender.FEMALE),
            person(2, WOMAN, wants=PartnerGender.MALE),
            id="both-want-each-other",
        ),
        pytest.param(person(1, age=18), person(2, age=99), id="two-adults-any-ages"),
        pytest.param(person(1, age=13), person(2, age=17), id="two-minors"),
        pytest.param(person(1, age=30, ages=(25, 35)), person(2, age=25, ages=(30, 30)), id="ages-fit-both-ways"),
        pytest.param(
            person(1, interests=("music",), mode=InterestsMode.REQUIRE),
            person(2, interests=("music", "art")),
            id="required-interest-shared",
        ),
        pytest.param(
            person(1, interests=("music",), mode=InterestsMode.REQUIRE),
            person(2, interests=("music",), mode=InterestsMode.REQUIRE),
            id="both-require-and-share",
        ),
        pytest.param(person(1, interests=("music",)), person(2, interests=("art",)), id="prefer-without-overlap"),
        pytest.param(
            person(1, interests=("music",), mode=InterestsMode.IGNORE), person(2), id="ignore-without-overlap"
        ),
    ],
)
def test_compatible_users_may_be_paired(a: User, b: User) -> None:
    assert pairing_obstacle(a, b) is None
    assert pairing_obstacle(b, a) is None
    assert can_pair(a, b) and can_pair(b, a)


@pytest.mark.parametrize(
    ("a", "b", "blocked", "reason"),
    [
        pytest.param(person(1), person(1), False, "themself", id="self"),
        pytest.param(person(1, age=30), person(1, WOMAN, 31), False, "themself", id="self-same-id"),
        pytest.param(person(1), person(2), True, "blocked", id="blocked"),
        pytest.param(person(1), person(2, gender=None), False, "incomplete", id="no-gender"),
        pytest.param(person(1, age=None), person(2), False, "incomplete", id="no-age"),
        pytest.param(person(1, age=17), person(2, age=18), False, "adults and minors", id="17-and-18"),
        pytest.param(person(1, age=13), person(2, age=99), False, "adults and minors", id="13-and-99"),
        pytest.param(
            person(1, age=17, ages=(13, 99)),
            person(2, age=18, ages=(13, 99)),
            False,
            "adults and minors",
            id="17-and-18-even-when-both-accept-any-age",
        ),
        pytest.param(
            person(1, MAN, wants=PartnerGender.FEMALE), person(2, MAN), False, "preferences", id="he-wants-a-woman"
        ),
        pytest.param(
            person(1, MAN),
            person(2, WOMAN, wants=PartnerGender.FEMALE),
            False,
            "preferences",
            id="she-wants-a-woman",
        ),
        pytest.param(person(1, age=30, ages=(18, 25)), person(2, age=26), False, "preferences", id="too-old-for-a"),
        pytest.param(person(1, age=30), person(2, age=26, ages=(18, 29)), False, "preferences", id="too-old-for-b"),
        pytest.param(person(1, age=20), person(2, age=26, ages=(21, 30)), False, "preferences", id="too-young-for-b"),
        pytest.param(
            person(1, interests=("music",), mode=InterestsMode.REQUIRE),
            person(2, interests=("art",)),
            False,
            "shared interest",
            id="a-requires-no-overlap",
        ),
        pytest.param(
            person(1, interests=("music",)),
            person(2, interests=("art",), mode=InterestsMode.REQUIRE),
            False,
            "shared interest",
            id="b-requires-no-overlap",
        ),
        pytest.param(
            person(1, mode=InterestsMode.REQUIRE),
            person(2, mode=InterestsMode.REQUIRE),
            False,
            "shared interest",
            id="both-require-none-chosen",
        ),
    ],
)
def test_incompatible_users_are_never_paired(a: User, b: User, blocked: bool, reason: str) -> None:
    obstacle = pairing_obstacle(a, b, blocked=blocked)
    assert obstacle is not None and reason in obstacle
    assert not can_pair(a, b, blocked=blocked)
    assert not can_pair(b, a, blocked=blocked)
    assert pairing_obstacle(b, a, blocked=blocked) is not None


# Small ids on purpose, so that drawing the same user twice is common.
users = st.builds(
    person,
    user_id=st.integers(1, 4),
    gender=st.one_of(st.none(), st.sampled_from(Gender)),
    age=st.one_of(st.none(), st.integers(MIN_AGE, MAX_AGE)),
    wants=st.sampled_from(PartnerGender),
    ages=st.lists(st.integers(MIN_AGE, MAX_AGE), min_size=2, max_size=2).map(lambda pair: (min(pair), max(pair))),
    interests=st.lists(st.sampled_from(INTEREST_CATALOG), max_size=4, unique=True).map(tuple),
    mode=st.sampled_from(InterestsMode),
)


@given(users, users, st.booleans())
def test_pairing_is_symmetric(a: User, b: User, blocked: bool) -> None:
    assert can_pair(a, b, blocked=blocked) == can_pair(b, a, blocked=blocked)


@given(users, users)
def test_an_adult_and_a_minor_are_never_paired(a: User, b: User) -> None:
    if a.profile.age is not None and b.profile.age is not None and is_adult(a.profile.age) != is_adult(b.profile.age):
        assert not can_pair(a, b)


@given(users)
def test_nobody_is_paired_with_themself(a: User) -> None:
    assert not can_pair(a, a)


@given(users, users, st.booleans())
def test_a_pair_always_satisfies_both_users_wishes(a: User, b: User, blocked: bool) -> None:
    if not can_pair(a, b, blocked=blocked):
        return
    assert not blocked and a.id != b.id
    assert a.preferences.accepts(b.profile) and b.preferences.accepts(a.profile)
    shared = a.profile.interests.shared_with(b.profile.interests)
    for user in (a, b):
        if user.preferences.interests_mode is InterestsMode.REQUIRE:
            assert shared
