"""WSGI application of bench/pages.py (settings: bench/pages_settings.py)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
