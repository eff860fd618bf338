from django.urls import path

from conversations.connectors import webhooks

urlpatterns = [
    path("whatsapp/<slug:slug>/", webhooks.whatsapp_webhook, name="hook-whatsapp"),
    path("messenger/<slug:slug>/", webhooks.messenger_webhook, name="hook-messenger"),
    path("apple/<slug:slug>/message", webhooks.apple_webhook, name="hook-apple"),
]
