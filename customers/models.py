"""Customers and the addresses they reach us from."""

from django.db import models


class ChannelKind(models.TextChoices):
    WEBCHAT = "webchat", "Web chat"
    WHATSAPP = "whatsapp", "WhatsApp"
    MESSENGER = "messenger", "Messenger"
    APPLE = "apple", "Apple Messages for Business"
    EMAIL = "email", "E-mail"
    API = "api", "API"


class Customer(models.Model):
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    locale = models.CharField(max_length=20, blank=True, help_text="BCP 47 language tag, e.g. de-DE.")
    time_zone = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=40, default="lead", db_index=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-last_seen_at"], name="customer_last_seen_idx")]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Visitor #{self.pk}"

    @property
    def display_name(self) -> str:
        return str(self)


class ChannelIdentity(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    address = models.CharField(max_length=255, help_text="Phone number, page-scoped id, opaque id, e-mail…")
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "channel identities"
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="identity_unique_kind_address")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.address}"
