"""Set Django up with one settings module of a patched app and say which Sentry client is configured, as JSON.

usage: load.py <app-dir> <settings-module>
Runs on Python 2.7 (raven 6.1.0, Django 1.8) and Python 3. SENTRY_DSN and BK_ENV come from the environment.
Never prints the DSN's secret: only its public key and host.
"""
import json
import os
import sys

app_dir, module = sys.argv[1:3]
sys.path.insert(0, app_dir)
os.environ["DJANGO_SETTINGS_MODULE"] = module
result = {"module": module, "setup": False, "client": None, "public_key": None, "host": None}

try:
    import django

    django.setup()
    result["setup"] = True
except Exception as error:  # what the test must never see
    result["error"] = type(error).__name__

if result["setup"]:
    from django.conf import settings

    result["django"] = django.get_version()
    if "raven.contrib.django.raven_compat" in settings.INSTALLED_APPS:
        from raven.contrib.django.models import client

        remote = client.remote
        if client.is_enabled() and remote.is_active():
            result["client"] = "raven"
            result["public_key"] = remote.public_key
            result["host"] = remote.base_url.split("://", 1)[-1]
    try:
        import sentry_sdk

        current = sentry_sdk.get_client() if hasattr(sentry_sdk, "get_client") else sentry_sdk.Hub.current.client
        dsn = current.dsn if current is not None else None
        if dsn:
            from sentry_sdk.utils import Dsn

            parsed = Dsn(dsn)
            result["client"] = "sentry-sdk" if result["client"] is None else "both"
            result["public_key"] = parsed.public_key
            result["host"] = parsed.netloc
    except ImportError:
        pass

print(json.dumps(result))
