"""Business-hours policies. The calendar engine reads them; nothing here imports another app."""

from django.db import models


class BusinessHoursPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_default = models.BooleanField(default=False, help_text="Used where neither team nor inbox names one.")

    class Meta:
        verbose_name_plural = "business hours policies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
