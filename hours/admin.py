from django.contrib import admin

from hours.models import BusinessHoursPolicy


@admin.register(BusinessHoursPolicy)
class BusinessHoursPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    search_fields = ["name"]
