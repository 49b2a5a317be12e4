"""Start a patched app in-process, request a view that raises ZeroDivisionError, flush the SDK, print a JSON line.

usage: drive.py django <app-dir> <settings-module> <path>
       drive.py flask  <app-dir> <module>          <path>
The SDK reads SENTRY_DSN from the environment through the code the patcher added; this script configures nothing.
"""
import json
import os
import sys

kind, app_dir, module, path = sys.argv[1:5]
sys.path.insert(0, app_dir)
result = {"kind": kind, "dsn_set": bool(os.environ.get("SENTRY_DSN"))}

if kind == "django":
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    result["installed_apps"] = list(settings.INSTALLED_APPS)
    try:
        client = Client(raise_request_exception=False)
    except TypeError:  # Django < 3.0: the test client re-raises the view's exception (after the signal SDKs listen to)
        client = Client()
    try:
        response = client.get(path)
    except ZeroDivisionError:

        class response(object):
            status_code = 500

    app_module = None
else:
    app_module = __import__(module)
    app = app_module.app
    response = app.test_client().get(path)

result["status"] = response.status_code

# Flush whichever SDK the patch wired in.
flushed = []
try:
    import sentry_sdk

    current = sentry_sdk.get_client() if hasattr(sentry_sdk, "get_client") else sentry_sdk.Hub.current.client
    if current is not None and (current.is_active() if hasattr(current, "is_active") else current.dsn):
        sentry_sdk.flush(timeout=10)
        flushed.append("sentry-sdk")
except ImportError:
    pass

raven_clients = []
if kind == "django" and "raven.contrib.django.raven_compat" in result.get("installed_apps", []):
    from raven.contrib.django.models import client

    raven_clients.append(client)
if app_module is not None and hasattr(app_module, "_paas_raven_sentry"):
    raven_clients.append(app_module._paas_raven_sentry.client)
for client in raven_clients:
    transport = client.remote.get_transport()
    worker = getattr(transport, "_worker", None)
    if worker is not None:
        worker._timed_queue_join(10)
    flushed.append("raven")

result["flushed"] = flushed
print(json.dumps(result))
