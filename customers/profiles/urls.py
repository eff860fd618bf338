"""URLs of the customer profile pages and the customer endpoints under /api/v1/."""

from django.urls import path

from customers.profiles import api as customer_api
from customers.profiles import views as customer_views
from customers.urls import api_urlpatterns as profile_api

app_name = "customers"

urlpatterns = [
    path("customers/<int:customer_id>/", customer_views.customer_profile, name="profile"),
    path("customers/<int:customer_id>/edit/", customer_views.customer_edit, name="edit"),
    path("customers/<int:customer_id>/notes/", customer_views.customer_note_create, name="note-create"),
    path("customers/<int:customer_id>/merge/", customer_views.customer_merge_create, name="merge"),
]

api_urlpatterns = [
    *profile_api,
    path(
        "customers/<int:customer_id>/history/", customer_api.CustomerHistoryApi.as_view(), name="api-customer-history"
    ),
    path("customers/<int:customer_id>/merge/", customer_api.CustomerMergeApi.as_view(), name="api-customer-merge"),
]
