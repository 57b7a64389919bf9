"""Configuration classes, read from the environment.

`EQUIPBANK_CONFIG` picks the class (`development`, the zero-set-up default; `production`;
`testing`). Every variable is listed in the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(name: str, default: int) -> int:
    """A delay: a whole number, 1 or more (0 would delete at once, or keep nothing)."""
    value = int(os.environ.get(name, str(default)))
    if value < 1:
        raise RuntimeError(f"{name} doit être un entier supérieur ou égal à 1 (reçu : {value}).")
    return value


class Config:
    """Settings shared by every environment."""

    DEBUG = False
    TESTING = False

    # None means: a SQLite file in the instance folder (see `resolve`).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "equipbank")
    SECRET_KEY = os.environ.get("SECRET_KEY")

    # The public address of the app: every absolute link (QR labels, emailed links, calendar
    # files) is built on it, never on the request's Host header (`equipbank.urls`).
    BASE_URL = os.environ.get("BASE_URL") or None
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Sent only where set: production, always behind HTTPS.
    STRICT_TRANSPORT_SECURITY: str | None = None
    BANK_NAME = os.environ.get("BANK_NAME", "Banque du Numérique Alpes-Maritimes")
    BANK_CONTACT = os.environ.get("BANK_CONTACT", "contact@banque-numerique-06.fr · 04 93 00 00 00")
    # The bank's département: the report pages open on it (an empty value: on all of France).
    BANK_DEPARTMENT = os.environ.get("BANK_DEPARTMENT", "06").strip().upper() or None
    # Printed on the documents the bank signs (donation attestation, erasure certificate,
    # handover receipt). No default: while unset, it is left out of every document and staff
    # are told (`settings_to_fill`), rather than a placeholder handed to a beneficiary.
    BANK_ADDRESS = os.environ.get("BANK_ADDRESS") or None
    BANK_CITY = os.environ.get("BANK_CITY", "Nice")
    BANK_SIGNATORY_NAME = os.environ.get("BANK_SIGNATORY_NAME", "La direction")
    BANK_SIGNATORY_TITLE = os.environ.get(
        "BANK_SIGNATORY_TITLE", "Pour la Banque du Numérique Alpes-Maritimes"
    )

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_I18N_ENABLED = False  # WTForms' own French messages (equipbank.forms.Form), no Babel

    PASSWORD_HASH_METHOD = "scrypt"
    SET_PASSWORD_LINK_MAX_AGE = int(os.environ.get("SET_PASSWORD_LINK_MAX_AGE", "604800"))
    # A reset link anyone may ask for ("Mot de passe oublié ?"): short-lived.
    PASSWORD_RESET_LINK_MAX_AGE = int(os.environ.get("PASSWORD_RESET_LINK_MAX_AGE", "3600"))
    API_TOKEN_MAX_AGE_DAYS = int(os.environ.get("API_TOKEN_MAX_AGE_DAYS", "90"))
    AUDIT_IP_RETENTION_MONTHS = int(os.environ.get("AUDIT_IP_RETENTION_MONTHS", "6"))
    EMAIL_CONFIRMATION_MAX_AGE = 2 * 24 * 3600
    # Roles that must sign in with a second factor (a TOTP code); production adds staff.
    TOTP_REQUIRED_ROLES: tuple[str, ...] = tuple(
        role for role in os.environ.get("TOTP_REQUIRED_ROLES", "").split(",") if role
    )

    # Throttling (equipbank.throttle, Flask-Limiter): counters in Redis when REDIS_URL is set
    # (or RATELIMIT_STORAGE_URI), else in each process's memory. Limits are strings such as
    # "5 per 15 minutes"; a web login and an API token share the password counters.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or None
    # Redis down: keep counting in memory, per process, and log a warning; never a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    THROTTLE_KEY_PREFIX = os.environ.get("THROTTLE_KEY_PREFIX", "equipbank-limits")
    THROTTLE_LOGIN_FAILURES_PER_ACCOUNT = os.environ.get(
        "THROTTLE_LOGIN_FAILURES_PER_ACCOUNT", "5 per 15 minutes"
    )
    THROTTLE_LOGIN_ATTEMPTS_PER_ADDRESS = os.environ.get(
        "THROTTLE_LOGIN_ATTEMPTS_PER_ADDRESS", "30 per 15 minutes"
    )
    THROTTLE_SET_PASSWORD_PER_ADDRESS = os.environ.get(
        "THROTTLE_SET_PASSWORD_PER_ADDRESS", "10 per hour"
    )
    THROTTLE_REGISTRATIONS_PER_ADDRESS = os.environ.get(
        "THROTTLE_REGISTRATIONS_PER_ADDRESS", "10 per hour"
    )
    THROTTLE_SECOND_FACTOR_FAILURES = os.environ.get(
        "THROTTLE_SECOND_FACTOR_FAILURES", "5 per 15 minutes"
    )
    # "Mot de passe oublié ?": each request sends an email to the address typed.
    THROTTLE_PASSWORD_RESETS_PER_ACCOUNT = os.environ.get(
        "THROTTLE_PASSWORD_RESETS_PER_ACCOUNT", "3 per hour"
    )
    THROTTLE_PASSWORD_RESETS_PER_ADDRESS = os.environ.get(
        "THROTTLE_PASSWORD_RESETS_PER_ADDRESS", "10 per hour"
    )
    # A person types a few postal codes a form; a shared office (France Services) many more.
    THROTTLE_COMMUNE_LOOKUPS_PER_ADDRESS = os.environ.get(
        "THROTTLE_COMMUNE_LOOKUPS_PER_ADDRESS", "300 per hour"
    )
    THROTTLE_DUPLICATE_REFUSALS_PER_ACCOUNT = os.environ.get(
        "THROTTLE_DUPLICATE_REFUSALS_PER_ACCOUNT", "20 per hour"
    )

    # text (Flask's lines) or json (one object a line, no personal data: equipbank.logs).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    # GET /metrics (Prometheus): a 404 unless set, then only with this bearer token.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

    API_TITLE = "equipbank API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # Mail: SMTP when MAIL_SERVER is set, else .eml files in instance/outbox (the demo).
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@banque-numerique-06.fr")
    MAIL_FROM_NAME = os.environ.get("MAIL_FROM_NAME", "Banque du Numérique Alpes-Maritimes")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "20"))

    # Reminders: 48 hours before an appointment; each advisor's digest after this Paris hour;
    # a notification left claimed but unsent this many minutes is taken again; a failed one is
    # retried after 2, 4, 8... minutes, at most this many, until it is too late to be of use.
    REMINDER_HOURS_BEFORE = 48
    DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR", "7"))
    NOTIFICATION_STALE_MINUTES = 15
    NOTIFICATION_RETRY_MAX_MINUTES = 60
    SWEEP_INTERVAL_SECONDS = int(os.environ.get("SWEEP_INTERVAL_SECONDS", "600"))
    # The daily housekeeping of personal data (privacy/tasks.py): a cron line, in UTC, for
    # `flask rq scheduler`; without Redis, the server's crontab runs `flask privacy housekeeping`.
    HOUSEKEEPING_CRON = os.environ.get("HOUSEKEEPING_CRON", "30 3 * * *")
    # A worker (or the scheduler) that has not beaten for this long is taken for gone: killed,
    # its machine down. Each beats four times in that delay, also while a job runs.
    WORKER_GONE_AFTER_SECONDS = _positive_int("WORKER_GONE_AFTER_SECONDS", 60)
    # How often `flask rq scheduler` queues the recovery of the inventory checks and imports
    # whose worker is gone (donations/inventory/tasks.py: recover_imports): with the minute
    # above, a killed import is queued again within two minutes.
    RECOVERY_INTERVAL_SECONDS = _positive_int("RECOVERY_INTERVAL_SECONDS", 60)

    # Inventory files: larger ones are refused; beyond the inline limit, a background job.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    INVENTORY_MAX_ROWS = int(os.environ.get("INVENTORY_MAX_ROWS", "20000"))
    # A donor not yet validated by staff (anyone may register one, logged in at once) imports
    # this many rows at most; its validation unlocks INVENTORY_MAX_ROWS.
    INVENTORY_UNVALIDATED_MAX_ROWS = int(os.environ.get("INVENTORY_UNVALIDATED_MAX_ROWS", "50"))
    # What reading one untrusted file may cost besides its rows (reader.Limits): blank rows,
    # header columns, characters in a cell, a workbook's parts once unzipped, time.
    INVENTORY_MAX_BLANK_ROWS = 1000
    INVENTORY_MAX_COLUMNS = 100
    INVENTORY_MAX_CELL_CHARS = 1000
    INVENTORY_MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
    INVENTORY_MAX_READ_SECONDS = 20
    INVENTORY_INLINE_MAX_ROWS = 300
    # Retention of what the app keeps outside the beneficiaries' files (DESIGN.md §7), applied
    # by the daily housekeeping: the outbox's .eml files (no SMTP server), the inventory uploads
    # never imported; and what a background job leaves in Redis (its result, or its failure).
    OUTBOX_RETENTION_DAYS = _positive_int("OUTBOX_RETENTION_DAYS", 30)
    INVENTORY_UPLOAD_RETENTION_DAYS = _positive_int("INVENTORY_UPLOAD_RETENTION_DAYS", 30)
    JOB_RESULT_RETENTION_HOURS = _positive_int("JOB_RESULT_RETENTION_HOURS", 24)
    # An API Idempotency-Key is kept this long, then purged by the sweep (api/idempotency.py).
    IDEMPOTENCY_KEY_TTL_HOURS = _positive_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)
    # Open-data exports of reports: counts from 1 to this minus one are masked (DESIGN.md §7).
    REPORT_MASK_THRESHOLD = int(os.environ.get("REPORT_MASK_THRESHOLD", "5"))
    # Beneficiaries are anonymised this many months after their last activity (DESIGN.md §7).
    RETENTION_MONTHS = int(os.environ.get("RETENTION_MONTHS", "12"))

    PER_PAGE = 25
    API_MAX_PER_PAGE = 200

    @classmethod
    def resolve(cls, app) -> None:
        """Fill in the settings that depend on the instance folder."""
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            path = Path(app.instance_path) / "equipbank.sqlite"
            app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"


# Settings with no default a bank could keep, and what is missing while one is unset: the
# staff's home and « État du service » page say so.
TO_FILL = {
    "BANK_ADDRESS": (
        "l'adresse de la Banque du Numérique : les bons de remise, attestations de don et "
        "certificats d'effacement sont imprimés sans adresse"
    ),
}


def settings_to_fill(config) -> list[tuple[str, str]]:
    """(variable, what it is for) of each setting of `TO_FILL` left unset."""
    return [(name, why) for name, why in TO_FILL.items() if not config.get(name)]


# Where `flask run` serves by default; `equipbank demo` sets its own address.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class DevelopmentConfig(Config):
    """The demo: works with nothing installed; a secret key is generated once and kept."""

    DEBUG = _bool("FLASK_DEBUG", False)
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    @classmethod
    def resolve(cls, app) -> None:
        super().resolve(app)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
        if not app.config.get("BASE_URL"):
            app.config["BASE_URL"] = DEVELOPMENT_BASE_URL


class ProductionConfig(Config):
    """Production: PostgreSQL, Redis and an explicit SECRET_KEY."""

    REMEMBER_COOKIE_SECURE = True
    TOTP_REQUIRED_ROLES = tuple(
        role for role in os.environ.get("TOTP_REQUIRED_ROLES", "staff").split(",") if role
    )
    STRICT_TRANSPORT_SECURITY = "max-age=31536000"  # one year; subdomains are not ours to bind

    @classmethod
    def resolve(cls, app) -> None:
        super().resolve(app)
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY doit être défini en production (variable d'environnement)."
            )
        if not app.config.get("BASE_URL"):
            raise RuntimeError(
                "BASE_URL doit être défini en production : les e-mails et les étiquettes QR portent l'adresse publique."
            )


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    # Fast hashes: the suite creates many users; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    BASE_URL = "http://equipbank.test"
    SERVER_NAME = None
    # Limits stay on in tests; counters of this run only, which the suite resets per test.
    RATELIMIT_ENABLED = True
    THROTTLE_KEY_PREFIX = f"equipbank-test-{os.getpid()}-limits"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_environment() -> type[Config]:
    name = os.environ.get("EQUIPBANK_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"EQUIPBANK_CONFIG={name!r} inconnu ; valeurs possibles : {', '.join(CONFIGS)}"
        ) from None


def _instance_secret_key(instance: Path) -> str:
    """Read the demo's secret key, creating it on first start (never committed anywhere)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
