"""Application configuration, read from the environment with safe defaults.

Every setting an operator may change is an environment variable; README lists them all.
Business knobs (reminder intervals, warning days) live in the settings table instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
_INSTANCE = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into instance/secret_key."""
    env = os.environ.get("SECRET_KEY")
    if env:
        return env
    _INSTANCE.mkdir(parents=True, exist_ok=True)
    path = _INSTANCE / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEFAULT_APP_NAME = "帮办代办服务管理系统"


class Config:
    # Where files that belong to this installation live (SQLite file, secret key, uploads).
    INSTANCE_DIR = str(_INSTANCE)
    SECRET_KEY = _secret_key()

    # Database: PostgreSQL in production (postgresql+psycopg://...), SQLite file by default.
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{_INSTANCE / 'bangban.sqlite'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # A streaming replica for reads that tolerate lag (ledger, dashboard, exports, summaries);
    # unset or down: the primary (app/replica.py).
    REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # PostgreSQL timeouts (app/system.py): a stalled database fails a request with a 503 page
    # well before gunicorn's --timeout (60 s in scripts/run.sh and the README) kills the worker.
    DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", 5))  # seconds
    DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", 30000))
    DB_POOL_TIMEOUT = int(os.environ.get("DB_POOL_TIMEOUT", 10))  # waiting for a free connection

    # Celery: Redis when REDIS_URL is set, else kombu's SQLAlchemy transport on a local
    # SQLite file, a real embedded broker that needs no server.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{_INSTANCE / 'celery-broker.sqlite'}"
    CELERY_RESULT_BACKEND = REDIS_URL or f"db+sqlite:///{_INSTANCE / 'celery-results.sqlite'}"

    # A web request never waits long on the broker: a send that cannot connect within this many
    # seconds leaves the job pending for the sweep (app/jobs.py).
    BROKER_SEND_TIMEOUT = float(os.environ.get("BROKER_SEND_TIMEOUT", 2))
    # A running job whose worker wrote no heartbeat for this long is failed (the user may retry).
    JOB_STALE_SECONDS = int(os.environ.get("JOB_STALE_SECONDS", 180))

    # Where the files every process shares are kept (app/filestore.py): "database" (default:
    # one database backup holds them) or "s3" (S3-compatible object storage, for larger sites).
    FILE_STORE = os.environ.get("FILE_STORE", "database")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # e.g. http://minio:9000; empty: AWS
    S3_BUCKET = os.environ.get("S3_BUCKET", "bangban")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")  # keys under this folder of the bucket
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    # Empty: boto3's own chain (AWS_ACCESS_KEY_ID and friends, a profile, an instance role).
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID", "")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY", "")
    S3_TIMEOUT = float(os.environ.get("S3_TIMEOUT", 5))  # seconds to connect

    TIMEZONE = "Asia/Shanghai"

    # Flask-AppBuilder
    # The default name is shown translated per reader (app/i18n.py); a name set here is not.
    APP_NAME = os.environ.get("APP_NAME", DEFAULT_APP_NAME)
    APP_THEME = ""  # the default bootstrap theme; most Bootswatch themes import web fonts
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_SECURITY_MANAGER_CLASS = "app.security.AppSecurityManager"
    FAB_CREATE_DB = False  # Alembic owns the schema
    FAB_UPDATE_PERMS = False  # `flask --app app sync-perms` is a deploy step
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_INDEX_VIEW = "app.views.HomeView"
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("SESSION_LIFETIME_SECONDS", 1800))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    WTF_CSRF_ENABLED = True

    # Rate limits (Flask-Limiter, shared across workers through Redis when REDIS_URL is set).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Redis is not the front door: while it is down the same limits are held in each process's
    # memory (Flask-Limiter logs "Rate limit storage unreachable" and checks Redis again with a
    # growing interval); log-in lock-outs live in the database and keep working throughout.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # should the fallback fail too: log it, never answer 500
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    PROGRESS_RATE_LIMIT = "10 per minute;60 per hour"
    AUTH_RATE_LIMITED = True  # the HTML log-in POST (FAB), per address, shared through Redis
    AUTH_RATE_LIMIT = "10 per 20 second"
    # Temporary lock of a user name after repeated failed log-ins (UI and API alike).
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none,
    # the client's own address counts). Behind one nginx: 1. Audit entries and rate limits key on
    # the address this yields; a client cannot forge it with its own header.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", 0))

    UPLOAD_FOLDER = str(_INSTANCE / "uploads")
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    # Languages: Simplified Chinese first.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "zh_Hant": {"flag": "hk", "name": "繁體中文"},
        "en": {"flag": "gb", "name": "English"},
    }


class TestConfig(Config):
    TESTING = True
    AUTH_RATE_LIMITED = False  # tests log in many times a second; a dedicated test turns it on
    # The same for the API's log-in, whose counts both test processes share in Redis (a run with
    # more API log-ins in one minute than the default allows failed by its timing alone); the
    # dedicated test (tests/test_api_security.py) sets its own limit.
    API_LOGIN_RATE_LIMIT = "10000 per minute"
    WTF_CSRF_ENABLED = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = False
