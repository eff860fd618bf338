from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from helpdesk.models import Agent, Team


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = ["username", "display_name", "email", "availability", "capacity", "is_staff", "is_active"]
    list_filter = ["availability", "is_staff", "is_active", "teams"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    fieldsets = [
        *(UserAdmin.fieldsets or ()),
        ("Helpdesk", {"fields": ["display_name", "availability", "capacity", "time_zone"]}),
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "business_hours_policy",
        "auto_assign",
        "redistribute_on_offline",
        "release_after_offline_minutes",
        "unassigned_alert_minutes",
    ]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    search_fields = ["name"]
