"""Seed the default customer statuses and give every existing e-mail and phone its contact point."""

from django.db import migrations

STATUSES = [("lead", "Lead"), ("customer", "Customer"), ("vip", "VIP"), ("churned", "Churned")]


def forwards(apps, schema_editor):
    CustomerStatus = apps.get_model("customers", "CustomerStatus")
    Customer = apps.get_model("customers", "Customer")
    ContactPoint = apps.get_model("customers", "ContactPoint")
    for position, (slug, name) in enumerate(STATUSES):
        CustomerStatus.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    # Statuses already in use must stay selectable.
    for slug in Customer.objects.exclude(status="").values_list("status", flat=True).distinct():
        CustomerStatus.objects.get_or_create(slug=slug, defaults={"name": slug.title(), "position": 100})
    for customer in Customer.objects.exclude(email="", phone="").only("id", "email", "phone").iterator():
        if customer.email:
            ContactPoint.objects.get_or_create(customer_id=customer.id, kind="email", value=customer.email.lower())
        if customer.phone:
            ContactPoint.objects.get_or_create(customer_id=customer.id, kind="phone", value=customer.phone)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_profiles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
