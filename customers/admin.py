"""Supervisor admin: profiles, the status list, custom-attribute definitions, lookups and merge audit."""

from django.contrib import admin

from customers.models import (
    ChannelIdentity,
    ContactPoint,
    CustomAttributeDefinition,
    Customer,
    CustomerActivity,
    CustomerMerge,
    CustomerNote,
    CustomerStatus,
    Enrichment,
)


class ChannelIdentityInline(admin.TabularInline):
    model = ChannelIdentity
    extra = 0


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0


class CustomerNoteInline(admin.StackedInline):
    model = CustomerNote
    extra = 0
    readonly_fields = ["author", "created_at"]


class EnrichmentInline(admin.TabularInline):
    model = Enrichment
    extra = 0
    fields = ("email", "provider", "status", "attempts", "last_error", "completed_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "company", "status", "last_seen_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "phone", "external_id", "company", "contacts__value"]
    readonly_fields = ["first_seen_at", "last_seen_at", "erased_at", "created_at", "updated_at"]
    inlines = [ContactPointInline, ChannelIdentityInline, CustomerNoteInline, EnrichmentInline]


@admin.register(CustomerStatus)
class CustomerStatusAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CustomAttributeDefinition)
class CustomAttributeDefinitionAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "type", "position"]
    list_editable = ["position"]


@admin.register(Enrichment)
class EnrichmentAdmin(admin.ModelAdmin):
    list_display = ["email", "customer", "provider", "status", "attempts", "requested_at", "completed_at"]
    list_filter = ["status", "provider"]
    search_fields = ["email"]
    readonly_fields = [f.name for f in Enrichment._meta.fields]


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "actor", "created_at"]
    readonly_fields = [f.name for f in CustomerMerge._meta.fields]


@admin.register(CustomerActivity)
class CustomerActivityAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in CustomerActivity._meta.fields]
