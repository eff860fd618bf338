from django.urls import path

from customers import api

api_urlpatterns = [
    path("customers/", api.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", api.CustomerDetailApi.as_view(), name="api-customer"),
    path("customers/<int:customer_id>/notes/", api.CustomerNoteApi.as_view(), name="api-customer-notes"),
]
