"""Settings from DATABASE_URL (postgresql://USER@/DB?host=SOCKET_DIR&port=N,
or user:password@host:port/db): only what the contacts API needs."""
import os
from urllib.parse import parse_qs, urlparse

_url = urlparse(os.environ["DATABASE_URL"])
_query = {k: v[0] for k, v in parse_qs(_url.query).items()}

SECRET_KEY = "strata-bench-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "contacts_django.urls"
INSTALLED_APPS = ["rest_framework", "contacts_django.contacts_app"]
MIDDLEWARE = []
USE_TZ = False
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/") or "postgres",
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _query.get("host", _url.hostname or ""),
        "PORT": _query.get("port", str(_url.port or "")),
        "CONN_MAX_AGE": None,  # keep connections, as the other stacks' pools do
    }
}
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
