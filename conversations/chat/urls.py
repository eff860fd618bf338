"""Routes of the hosted chat page; included at the site root by helpdesk/urls.py."""

from django.urls import path

from conversations.chat import views

app_name = "chat"

urlpatterns = [
    path("chat/<slug:inbox_slug>/", views.chat_page, name="page"),
    path("chat/<slug:inbox_slug>/resume/<str:token>/", views.chat_resume, name="resume"),
    path("chat/<slug:inbox_slug>/identity/", views.chat_identity_confirm, name="identity-confirm"),
    path("chat/<slug:inbox_slug>/api/state", views.chat_state, name="state"),
    path("chat/<slug:inbox_slug>/api/messages", views.chat_messages, name="messages"),
    path("chat/<slug:inbox_slug>/api/conversations/<int:conversation_id>/read", views.chat_read, name="read"),
    path("chat/<slug:inbox_slug>/api/profile", views.chat_profile, name="profile"),
    path("hooks/mail/inbound/", views.inbound_mail, name="inbound-mail"),
]
