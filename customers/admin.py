from django.contrib import admin

from customers.models import ChannelIdentity, Customer


class ChannelIdentityInline(admin.TabularInline):
    model = ChannelIdentity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "status", "last_seen_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "phone", "external_id"]
    inlines = [ChannelIdentityInline]
