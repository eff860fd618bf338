from django.urls import path

from conversations import api

app_name = "conversations"

api_urlpatterns = [
    path("conversations/<int:conversation_id>/", api.ConversationDetailApi.as_view(), name="api-conversation"),
    path("conversations/<int:conversation_id>/messages/", api.MessageListApi.as_view(), name="api-messages"),
    path("events/", api.EventListApi.as_view(), name="api-events"),
]

urlpatterns: list = []
