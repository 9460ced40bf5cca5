"""Settings for the test suite: the real settings, with test-only environment defaults.

Anything set in the environment still wins, which is how `.ci/run` points the suite at
PostgreSQL and Redis (DATABASE_URL, REDIS_URL).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("READ_DOT_ENV_FILE", "false")
os.environ.setdefault("Q_SYNC", "true")
os.environ.setdefault("SIMULATOR_DELAY_SCALE", "0")
os.environ.setdefault("LOG_FORMAT", "text")

from voicesurvey.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
if STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):  # noqa: F405
    STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT  # noqa: F405
