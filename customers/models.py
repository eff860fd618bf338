"""Customers: their profile, the addresses they reach us from, notes, enrichment and the merge audit."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


class ChannelKind(models.TextChoices):
    WEBCHAT = "webchat", "Web chat"
    WHATSAPP = "whatsapp", "WhatsApp"
    MESSENGER = "messenger", "Messenger"
    APPLE = "apple", "Apple Messages for Business"
    EMAIL = "email", "E-mail"
    API = "api", "API"


class CustomerStatus(models.Model):
    """The list of statuses a customer can have (lead, customer, VIP, churned…), edited by supervisors."""

    slug = models.SlugField(max_length=40, unique=True, help_text="Stored on customers; keep it stable.")
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "customer statuses"

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=200, blank=True)
    # The primary e-mail and phone; every address, the primary one included, is a ContactPoint.
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    locale = models.CharField(max_length=20, blank=True, help_text="BCP 47 language tag, e.g. de-DE.")
    time_zone = models.CharField(max_length=64, blank=True)
    location = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=40, default="lead", db_index=True)
    labels = models.JSONField(default=list, blank=True)
    custom_attributes = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Set when the personal data was erased on request; the row stays for aggregate figures.
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-last_seen_at"], name="customer_last_seen_idx")]

    def __str__(self) -> str:
        if self.erased_at:
            return f"Erased customer #{self.pk}"
        return self.name or self.email or self.phone or f"Visitor #{self.pk}"

    @property
    def display_name(self) -> str:
        return str(self)

    def _contact_values(self, kind: str, primary: str) -> list[str]:
        values = [primary] if primary else []
        for contact in self.contacts.all():
            if contact.kind == kind and contact.value not in values:
                values.append(contact.value)
        return values

    @property
    def emails(self) -> list[str]:
        """Every e-mail, the primary first (uses prefetched contacts when there are)."""
        return self._contact_values(ContactPoint.Kind.EMAIL, self.email)

    @property
    def phones(self) -> list[str]:
        return self._contact_values(ContactPoint.Kind.PHONE, self.phone)


class ContactPoint(models.Model):
    """One e-mail address or phone number of a customer; verified ones identify a person across profiles."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=254)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "value"], name="contact_unique_per_customer")
        ]
        indexes = [models.Index(fields=["kind", "value"], name="contact_kind_value_idx")]

    def __str__(self) -> str:
        return self.value


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


class CustomAttributeDefinition(models.Model):
    """A typed field supervisors add to every profile (plan, seats, renewal date…)."""

    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes / no"
        CHOICE = "choice", "Choice"

    key = models.CharField(
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*$", "Lower-case letters, digits and underscores, starting with a letter.")
        ],
    )
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text='For "choice": the allowed values, as a list.')
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.type == self.Type.CHOICE:
            choices = self.choices
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                raise ValidationError({"choices": 'A choice attribute needs a list of values, e.g. ["free", "pro"].'})


class CustomerNote(models.Model):
    """An internal note about the customer; agents only, never shown to the customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on {self.customer_id}"


class CustomerActivity(models.Model):
    """Profile-level entries of the activity timeline: status changes, merges, enrichment, erasure."""

    class Kind(models.TextChoices):
        STATUS_CHANGED = "status_changed", "Status changed"
        MERGED = "merged", "Merged"
        ENRICHED = "enriched", "Enriched"
        ERASED = "erased", "Erased"
        IMPORTED = "imported", "Imported"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "customer activities"
        indexes = [models.Index(fields=["customer", "-created_at"], name="customer_activity_recent_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"


class Enrichment(models.Model):
    """One lookup of a customer's e-mail at the enrichment provider: requested with the change that added the
    e-mail, carried out by Celery, retried until it succeeds or gives up. The result stays with its source and
    time, and doubles as the cache for the same e-mail on other profiles."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Found"
        NOT_FOUND = "not_found", "Not found"
        FAILED = "failed", "Failed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="enrichments")
    email = models.EmailField()
    provider = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # What the provider said, normalised ("profile") and as received ("raw").
    data = models.JSONField(default=dict, blank=True)
    # The lookup this result was copied from, when it came from the cache.
    cached_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    run_after = models.DateTimeField()
    # A running lookup whose lease ran out lost its worker; the sweep hands it out again.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "email"], name="enrichment_unique_customer_email")]
        indexes = [
            models.Index(fields=["status", "run_after"], name="enrichment_due_idx"),
            models.Index(fields=["email", "status"], name="enrichment_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class CustomerMerge(models.Model):
    """The audit entry of a merge: which profile went into which, why, who decided, and what moved."""

    class Reason(models.TextChoices):
        VERIFIED_EMAIL = "verified_email", "Same verified e-mail"
        VERIFIED_PHONE = "verified_phone", "Same verified phone"
        AGENT = "agent", "An agent's decision"

    target = models.ForeignKey(Customer, null=True, on_delete=models.SET_NULL, related_name="merges")
    target_id_at_merge = models.BigIntegerField()
    source_id = models.BigIntegerField()
    # The merged-away profile as it was, so a wrong merge can be understood and undone by hand.
    source_snapshot = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.source_id} → #{self.target_id_at_merge}"
