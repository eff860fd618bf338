from django.contrib import admin

from conversations.models import Conversation, Event, Inbox, Label, Message, OutboxItem


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "team", "business_hours_policy", "is_active"]
    list_filter = ["kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    exclude = ["secret"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "color"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("seq", "sender", "author", "body", "is_private", "created_at")
    readonly_fields = fields
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "customer",
        "inbox",
        "status",
        "priority",
        "assignee",
        "team",
        "waiting_since",
        "last_message_at",
    ]
    list_filter = ["status", "priority", "inbox", "team"]
    search_fields = ["customer__name", "customer__email", "subject"]
    raw_id_fields = ["customer", "assignee"]
    readonly_fields = ["last_seq", "agent_read_seq", "customer_read_seq", "created_at", "updated_at"]
    list_select_related = ["customer", "inbox", "assignee", "team"]
    inlines = [MessageInline]


@admin.register(OutboxItem)
class OutboxItemAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "key", "status", "attempts", "run_after", "done_at"]
    list_filter = ["kind", "status"]
    search_fields = ["key"]
    readonly_fields = [f.name for f in OutboxItem._meta.fields]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["seq", "type", "conversation", "team_id", "assignee_id", "created_at"]
    list_filter = ["type"]
    readonly_fields = [f.name for f in Event._meta.fields]
