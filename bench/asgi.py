"""What the benchmarks' daphne serves: the whole application plus the bare baseline consumers (no
authentication), which production routes never contain."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from bench.baseline import websocket_urlpatterns as baseline_routes  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402

# The same stack as helpdesk.asgi, so the application's routes behave exactly as in production.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([*websocket_urlpatterns, *baseline_routes]))
        ),
    }
)
