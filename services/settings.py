"""FinCRM settings: every knob is a FINCRM_* environment variable, read once.

Demo mode is on only when FINCRM_DEMO says so (`make run` does); the database URL
never decides it. Outside demo mode nothing secret has a default; in demo mode the
secret key and the encryption keys are generated once and kept in the data
directory so a restart can still decrypt what the first run wrote.
"""
from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./data/fincrm.db"

KEYGEN_HINT = (
    "Generate them with:\n"
    "  export FINCRM_SECRET_KEY=$(python -c \"import secrets;print(secrets.token_urlsafe(48))\")\n"
    "  export FINCRM_ENCRYPTION_KEYS=\"k1:$(python -c \"import secrets,base64;"
    "print(base64.b64encode(secrets.token_bytes(32)).decode())\"),index:$(python -c \"import "
    "secrets,base64;print(base64.b64encode(secrets.token_bytes(32)).decode())\")\"\n"
    "or run with FINCRM_DEMO=1 to use generated demo keys."
)


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable FinCRM."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINCRM_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    encryption_keys: str | None = None
    redis_url: str | None = None
    # Demo mode (generated keys, demo users, `fincrm seed --demo`) is asked for, never guessed from the
    # database: `make run` sets FINCRM_DEMO=1; an installation that does not is a real one.
    demo: bool = False
    locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"  # the firm's zone: "today" and local dates (services/clock.py)
    data_dir: Path = Path("./data")
    inbox_dir: Path = Path("./data/inbox")  # core-banking batch files, scanned every minute
    public_url: str = "http://localhost:3000"
    session_hours: float = Field(12.0, gt=0)
    session_idle_minutes: float = Field(30.0, gt=0)
    # Failed credential checks are throttled, never lock an account (services/security/throttle.py):
    lockout_threshold: int = Field(5, ge=1)  # one name from one address (or one trusted browser)
    lockout_source_threshold: int = Field(20, ge=1)  # one address, any names
    lockout_account_threshold: int = Field(10, ge=1)  # one name from all untrusted addresses and browsers
    lockout_window_minutes: float = Field(15.0, gt=0)
    lockout_minutes: float = Field(15.0, gt=0)
    lockout_trust_days: float = Field(30.0, gt=0)  # a browser/address where a name signed in stays trusted
    cookie_secure: bool = False
    # Reverse proxies / load balancers whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated).
    # Without it the client address of every request is the proxy's, and the per-address sign-in throttle
    # would hold back everyone behind it at once. Empty: trust no header (direct connections).
    trusted_proxies: str = ""
    log_level: str = "INFO"
    # Suitability (services/suitability): who sends customers their one-time codes ("outbox": kept for staff to
    # pass on, or "package.module:factory" for a real gateway), the firm's certificate that signs disclosures
    # (a PKCS#12 file and its password; demo mode generates a self-signed one into the data directory), and the
    # largest sale recording accepted.
    code_sender: str = "outbox"
    signing_p12: Path | None = None
    signing_p12_password: str | None = None
    recording_max_mb: int = Field(500, ge=1, le=20_000)
    # Decision support's e-mail (the weekly report, services/analytics/mail.py): the SMTP server the outbox is
    # delivered through; no host: messages wait in the outbox.
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "fincrm@localhost"
    # Web Push of reminders (services/agenda/push.py): the VAPID key pair (the private key as a PEM file or its
    # base64url raw form, the public key as base64url, what the browser's pushManager subscribes with) and the
    # contact the push services see. Without both keys nothing is pushed and the agenda says so.
    vapid_private_key: str | None = None
    vapid_public_key: str | None = None
    vapid_subject: str = "mailto:fincrm@localhost"
    # The headless Chromium that draws the weekly report's charts (Plotly's Kaleido, services/analytics/report_charts.py).
    chromium_path: str = "/usr/bin/chromium"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}: use an IANA name such as Asia/Shanghai") from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances: cheap on every call

    @property
    def demo_mode(self) -> bool:
        return self.demo

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def _demo_secret(self, name: str, make) -> str:
        path = self.data_dir / name
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = make()
        # O_EXCL so two processes starting together agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        if self.demo_mode:
            return self._demo_secret("secret_key", lambda: secrets.token_urlsafe(48))
        raise ConfigurationError("FINCRM_SECRET_KEY is not set.\n" + KEYGEN_HINT)

    def resolved_encryption_keys(self) -> str:
        if self.encryption_keys:
            return self.encryption_keys
        if self.demo_mode:
            def make() -> str:
                k = base64.b64encode(secrets.token_bytes(32)).decode()
                i = base64.b64encode(secrets.token_bytes(32)).decode()
                return f"k1:{k},index:{i}"
            return self._demo_secret("encryption_keys", make)
        raise ConfigurationError("FINCRM_ENCRYPTION_KEYS is not set.\n" + KEYGEN_HINT)

    def check_startable(self) -> None:
        """Raise ConfigurationError with a how-to when secrets are missing."""
        self.resolved_secret_key()
        self.resolved_encryption_keys()


def configure_logging() -> None:
    """Apply FINCRM_LOG_LEVEL to FinCRM's own loggers (services.*), with a plain stderr handler."""
    import logging

    level = getattr(logging, get_settings().log_level.upper(), logging.INFO)
    logger = logging.getLogger("services")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI after changing the environment)."""
    get_settings.cache_clear()  # the field cipher follows (services.security.keys keys it on the settings)
