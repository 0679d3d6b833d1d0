"""ASGI entry point of the example project (served so with interface: asgi)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notesite.settings")

application = get_asgi_application()
