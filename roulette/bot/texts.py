"""Texts composed from domain values, and texts more than one feature says, in the current user's language."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n.lazy_proxy import LazyProxy

from roulette.age_wall import class_ages
from roulette.domain import MAX_AGE
from roulette.domain import MIN_AGE
from roulette.domain import Gender
from roulette.domain import Interests
from roulette.domain import InterestsMode
from roulette.domain import MediaDelivery
from roulette.domain import MessageKind
from roulette.domain import PartnerGender
from roulette.domain import PartnerLanguage
from roulette.domain import ReportReason
from roulette.domain import Reputation
from roulette.domain import User
from roulette.domain import media_delivery

_INTERESTS: dict[str, LazyProxy] = {
    "music": __("🎵 Music"),
    "movies": __("🎬 Movies"),
    "books": __("📚 Books"),
    "games": __("🎮 Games"),
    "sports": __("⚽ Sports"),
    "travel": __("✈️ Travel"),
    "tech": __("💻 Tech"),
    "art": __("🎨 Art"),
    "science": __("🔬 Science"),
    "food": __("🍕 Food"),
    "anime": __("🌸 Anime"),
    "pets": __("🐾 Pets"),
}

_REPORT_REASONS: dict[ReportReason, LazyProxy] = {
    ReportReason.SPAM: __("Spam or ads"),
    ReportReason.ABUSE: __("Abuse or harassment"),
    ReportReason.MINOR: __("Seems underage / adult among teens"),
    ReportReason.OTHER: __("Something else"),
}


def interest_name(tag: str) -> str:
    return str(_INTERESTS[tag])


def report_reason_name(reason: ReportReason) -> str:
    return str(_REPORT_REASONS[reason])


def no_longer_active() -> str:
    return _("This button is no longer active.")


def use_the_buttons() -> str:
    return _("Please use the buttons.")


def needs_start() -> str:
    return _("Please press /start to set up your profile first.")


def age_question() -> str:
    return _("How old are you? Send a number from {min_age} to {max_age}.").format(min_age=MIN_AGE, max_age=MAX_AGE)


def age_question_in_chat() -> str:
    """Asked while the user is in a chat, where a message would otherwise go to the partner."""
    return _(
        "✏️ Your next message goes to the bot, not to your partner: how old are you? Send a number from "
        "{min_age} to {max_age}. Anything else you send goes to your partner as usual."
    ).format(min_age=MIN_AGE, max_age=MAX_AGE)


def not_an_age() -> str:
    return _("That doesn't look like an age.") + " " + age_question()


def age_class_fixed() -> str:
    """A user's own edit across 18, refused (it says nothing about anyone else)."""
    return _(
        "Your age can only be changed within the group you signed up in: under 18, or 18 and over. "
        "Your profile is unchanged."
    )


def possible_partner_ages(youngest: int, oldest: int) -> str:
    return _("Partners can be {youngest}–{oldest} years old.").format(youngest=youngest, oldest=oldest)


def gender_name(gender: Gender | None) -> str:
    if gender is Gender.MALE:
        return _("👨 Male")
    if gender is Gender.FEMALE:
        return _("👩 Female")
    return _("not set")


def partner_gender_name(gender: PartnerGender) -> str:
    if gender is PartnerGender.ANY:
        return _("Anyone")
    return gender_name(Gender(gender.value))


def interests_mode_button(mode: InterestsMode) -> str:
    """Short, for a button: two fit side by side on a phone."""
    return {
        InterestsMode.IGNORE: _("Any interests"),
        InterestsMode.PREFER: _("Shared first"),
        InterestsMode.REQUIRE: _("Shared only"),
    }[mode]


def partner_language_name(language: PartnerLanguage) -> str:
    return {
        PartnerLanguage.SAME: _("Language: same as mine"),
        PartnerLanguage.ANY: _("Language: any"),
    }[language]


def partner_language_button(language: PartnerLanguage) -> str:
    """Short, for a button: two fit side by side on a phone."""
    return {
        PartnerLanguage.SAME: _("🗣 My language"),
        PartnerLanguage.ANY: _("🌍 Any language"),
    }[language]


def interests_mode_name(mode: InterestsMode) -> str:
    return {
        InterestsMode.IGNORE: _("Interests: ignore"),
        InterestsMode.PREFER: _("Interests: prefer"),
        InterestsMode.REQUIRE: _("Interests: require"),
    }[mode]


def media_delivery_name(delivery: MediaDelivery) -> str:
    return {
        MediaDelivery.SHOWN: _("Show"),
        MediaDelivery.BLURRED: _("Blur"),
        MediaDelivery.TEXT: _("Text only"),
    }[delivery]


def media_placeholder(kind: MessageKind) -> str:
    """What a user who gets partners' media as text only sees instead of one."""
    return (
        {
            MessageKind.PHOTO: _("📷 Your partner sent a photo."),
            MessageKind.VIDEO: _("🎬 Your partner sent a video."),
            MessageKind.ANIMATION: _("🎞 Your partner sent a GIF."),
            MessageKind.STICKER: _("🖼 Your partner sent a sticker."),
            MessageKind.VIDEO_NOTE: _("📹 Your partner sent a video message."),
            MessageKind.DOCUMENT: _("📎 Your partner sent a file."),
        }.get(kind, _("📎 Your partner sent a picture."))
        + " "
        + _("(You get partners' media as text only: /settings)")
    )


def interests_list(interests: Interests | frozenset[str]) -> str:
    tags = interests.tags if isinstance(interests, Interests) else interests
    ordered = [tag for tag in _INTERESTS if tag in tags]
    return ", ".join(interest_name(tag) for tag in ordered) if ordered else _("none")


def reputation_line(reputation: Reputation) -> str:
    return _("👍 {likes} · 👎 {dislikes}").format(likes=reputation.likes, dislikes=reputation.dislikes)


def profile_card(user: User) -> str:
    return _(
        "<b>Your profile</b>\nGender: {gender}\nAge: {age}\nInterests: {interests}\nReputation: {reputation}"
    ).format(
        gender=gender_name(user.profile.gender),
        age=user.profile.age if user.profile.age is not None else _("not set"),
        interests=interests_list(user.profile.interests),
        reputation=reputation_line(user.reputation),
    )


def preferences_card(user: User) -> str:
    preferences = user.preferences
    possible = "" if user.profile.age is None else "\n" + possible_partner_ages(*class_ages(user.profile.age))
    return (
        _(
            "<b>Search settings</b>\n"
            "Partner: {gender}\n"
            "Partner age: {age_min}–{age_max}\n"
            "{interests_mode}\n"
            "{partner_language}\n"
            "Partner's photos and videos: {media}\n\n"
            "Adults are only paired with adults, and minors with minors. Your language is the one you chose with"
            " /language."
        ).format(
            gender=partner_gender_name(preferences.partner_gender),
            age_min=preferences.age_min,
            age_max=preferences.age_max,
            interests_mode=interests_mode_name(preferences.interests_mode),
            partner_language=partner_language_name(preferences.partner_language),
            media=media_delivery_name(media_delivery(user.partner_media, user.profile.age)),
        )
        + possible
    )


def help_text() -> str:
    return (
        _(
            "<b>Anochat</b> — talk to a random stranger, anonymously.\n\n"
            "/search — find a partner\n"
            "/next — end this chat and find another partner\n"
            "/stop — end the chat or stop searching\n"
            "/unsend — as a reply to your message: delete it for your partner (without a reply: your last one)\n"
            "/profile — your profile\n"
            "/settings — whom you want to meet\n"
            "/language — interface language\n"
            "/report — as a reply to a message of your partner: report it\n"
            "Reactions to your partner's messages show on their side (emoji only)\n"
            "/rules — the rules · /safety — what is stored, who can see it\n"
            "/deleteme — delete all your data\n\n"
            "Your partner never sees your name, username or id: messages are copied, not forwarded."
        )
        + "\n\n"
        + _(
            "After a chat, 🔁 Ask to talk again: if your partner accepts while you are both free, the chat opens "
            'again. Neither of you learns who the other is, and a no is only ever told as "not now".'
        )
    )


def rules_text() -> str:
    return _(
        "<b>Rules</b>\n"
        "1. Be respectful. No harassment, threats or hate.\n"
        "2. No spam, ads or scams.\n"
        "3. Do not share anyone's personal data, including your own.\n"
        "4. Adults and minors are never paired; lying about your age breaks this rule.\n"
        "5. Report abuse with the 🚩 button after a chat, or reply to a message with /report. "
        "Repeated reports lead to a ban.\n\n"
        "What is stored, for how long and who can see it: /safety"
    )


def safety_text(message_hours: int, chat_days: int) -> str:
    """The summary of docs/safety.md."""
    return _(
        "<b>Safety and privacy</b>\n"
        "• Your partner never sees your name, username or id.\n"
        "• Adults (18+) and minors are never paired. Partners' photos and videos reach minors blurred; "
        "anyone can choose in /settings: shown, blurred or text only.\n"
        "• Messages are kept while a chat runs and {hours} h after it ends, so that it can be reported; "
        "longer only if it was reported, until a moderator closed the report. "
        "Who talked with whom is kept {days} days.\n"
        "• Moderators see reported chats only, and every look is logged.\n"
        "• Report abuse with 🚩 or by replying /report to a message; a report also blocks the person "
        "unless you turn that off. Someone who seems underage, or an adult among teens: report with that "
        "reason, and they are kept from chatting until a moderator looked.\n"
        "• /deleteme erases your data; reports and blocks others made about you stay.\n"
        "• The bot cannot verify ages or stop screenshots. Never share personal details."
    ).format(hours=message_hours, days=chat_days)


def command_descriptions() -> dict[str, str]:
    return {
        "search": _("Find a partner"),
        "next": _("End the chat and find another partner"),
        "stop": _("End the chat or stop searching"),
        "unsend": _("Delete your last message (or the one you reply to) for your partner"),
        "profile": _("Your profile"),
        "settings": _("Whom you want to meet"),
        "language": _("Interface language"),
        "help": _("How Anochat works"),
        "rules": _("The rules"),
        "safety": _("What is stored, who can see it"),
        "deleteme": _("Delete all your data"),
    }
