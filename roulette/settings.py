"""Settings, read once from the environment and `.env`, validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from typing import Literal

from pydantic import Field
from pydantic import SecretStr
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator
from pydantic_settings import BaseSettings
from pydantic_settings import NoDecode
from pydantic_settings import SettingsConfigDict


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str | None = None
    data_dir: Path = Path(".data/postgres")
    db_pool_min_size: int = Field(default=2, ge=1, le=100)
    db_pool_max_size: int = Field(default=10, ge=1, le=500)

    telegram_api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/webhook"
    port: int = Field(default=8080, ge=1, le=65535)
    host: str = "0.0.0.0"

    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: Literal["en", "ru"] = "en"
    protect_content: bool = True
    relay_contacts_and_locations: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    message_retention_hours: int = Field(default=24, ge=1, le=24 * 365)
    # The old name, still read: hours = days × 24 when MESSAGE_RETENTION_HOURS is unset.
    message_retention_days: int | None = Field(default=None, ge=1, le=365)
    chat_retention_days: int = Field(default=30, ge=1, le=3650)
    report_ban_threshold: int = Field(default=3, ge=1, le=1000)
    report_window_hours: int = Field(default=24, ge=1, le=24 * 365)
    report_ban_hours: int = Field(default=24, ge=1, le=24 * 3650)
    flood_max_messages: int = Field(default=20, ge=1, le=10_000)
    flood_window_seconds: int = Field(default=10, ge=1, le=3600)
    shutdown_timeout_seconds: float = Field(default=20.0, gt=0, le=25)
    outbox_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    wait_hint_seconds: int = Field(default=60, ge=1, le=86_400)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            return frozenset(int(part) for part in parts if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url", "telegram_api_url", "webhook_url", "webhook_secret", "metrics_port", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("must start with postgresql:// (or postgres://)")
        return value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            bot_id, _, secret = value.partition(":")
            if not bot_id.isdigit() or not secret:
                raise ValueError("must look like 123456789:AA... (as given by @BotFather)")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path_shape(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("DB_POOL_MIN_SIZE must not exceed DB_POOL_MAX_SIZE")
        if self.message_retention_days is not None:
            if "message_retention_hours" in self.model_fields_set:
                raise ValueError("MESSAGE_RETENTION_DAYS: replaced by MESSAGE_RETENTION_HOURS; set only the latter")
            self.message_retention_hours = self.message_retention_days * 24
        if self.message_retention_hours > self.chat_retention_days * 24:
            raise ValueError("MESSAGE_RETENTION_HOURS must not exceed CHAT_RETENTION_DAYS × 24")
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        if self.webhook_secret is not None:
            secret = self.webhook_secret.get_secret_value()
            allowed = secret.replace("_", "").replace("-", "")
            if not (1 <= len(secret) <= 256 and allowed.isalnum() and allowed.isascii()):
                raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return self

    @property
    def bot_id(self) -> int | None:
        if self.bot_token is None:
            return None
        return int(self.bot_token.get_secret_value().split(":", 1)[0])


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise `SettingsError` with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        location = "_".join(str(part) for part in first["loc"]).upper()
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{location}: {message}" if location else message) from None
