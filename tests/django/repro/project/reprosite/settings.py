"""Settings of the reproduction project: the database comes from the environment (DB_HOST, DB_PORT, DB_NAME, DB_USER)."""

import os

SECRET_KEY = "reproduction-only"
DEBUG = False
INSTALLED_APPS = ["shop"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "reprosite.urls"
STATIC_URL = "static/"  # LiveServerTestCase serves static files from here
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DB_HOST"],
        "PORT": os.environ["DB_PORT"],
        "NAME": os.environ["DB_NAME"],
        "USER": os.environ["DB_USER"],
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
    }
}
