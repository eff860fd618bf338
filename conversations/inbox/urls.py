from django.urls import path

from conversations.inbox import api, views

app_name = "conversations"

api_urlpatterns = [
    path("conversations/<int:conversation_id>/", api.ConversationDetailApi.as_view(), name="api-conversation"),
    path("conversations/<int:conversation_id>/messages/", api.MessageListApi.as_view(), name="api-messages"),
    path("conversations/<int:conversation_id>/actions/", api.ActionApi.as_view(), name="api-actions"),
    path("conversations/<int:conversation_id>/read/", api.ReadApi.as_view(), name="api-read"),
    path("events/", api.EventListApi.as_view(), name="api-events"),
    path("inbox/conversations/", api.InboxListApi.as_view(), name="api-inbox"),
    path("inbox/conversations/<int:conversation_id>/", api.InboxRowApi.as_view(), name="api-inbox-row"),
    path("inbox/conversations/<int:conversation_id>/thread/", api.ThreadApi.as_view(), name="api-thread"),
    path("inbox/counts/", api.InboxCountsApi.as_view(), name="api-inbox-counts"),
    path("canned-responses/", api.CannedResponseListApi.as_view(), name="api-canned"),
    path("presence/", api.PresenceApi.as_view(), name="api-presence"),
]

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
]
