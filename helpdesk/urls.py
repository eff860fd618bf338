from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from conversations.chat.status_api import api_urlpatterns as status_api
from conversations.inbox.urls import api_urlpatterns as conversation_api
from customers.profiles.urls import api_urlpatterns as customer_api
from helpdesk.health import healthz, healthz_deep

api_v1 = [*conversation_api, *customer_api, *status_api]

urlpatterns = [
    path("", RedirectView.as_view(url="/inbox/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("healthz/deep", healthz_deep, name="healthz-deep"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include((api_v1, "api"))),
    path("hooks/", include("conversations.connectors.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("conversations.chat.urls")),
    path("", include("conversations.inbox.urls")),
    path("", include("customers.profiles.urls")),
]

handler400 = "helpdesk.views.bad_request"
handler403 = "helpdesk.views.permission_denied"
handler404 = "helpdesk.views.page_not_found"
handler500 = "helpdesk.views.server_error"
