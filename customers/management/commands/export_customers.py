"""Export every customer profile as CSV (the import's format, so an export can be imported again) or JSON."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError

from customers.models import CustomAttributeDefinition, Customer

COLUMNS = ["id", "external_id", "name", "emails", "phones", "company", "location", "locale", "time_zone", "status",
           "labels", "avatar_url", "first_seen_at", "last_seen_at"]  # fmt: skip


def _row(customer: Customer) -> dict:
    return {
        "id": customer.id,
        "external_id": customer.external_id,
        "name": customer.name,
        "emails": customer.emails,
        "phones": customer.phones,
        "company": customer.company,
        "location": customer.location,
        "locale": customer.locale,
        "time_zone": customer.time_zone,
        "status": customer.status,
        "labels": customer.labels,
        "avatar_url": customer.avatar_url,
        "first_seen_at": customer.first_seen_at.isoformat() if customer.first_seen_at else "",
        "last_seen_at": customer.last_seen_at.isoformat() if customer.last_seen_at else "",
        "custom_attributes": customer.custom_attributes,
    }


class Command(BaseCommand):
    help = "Export customer profiles as CSV or JSON (erased profiles are left out)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--output", "-o", help="File to write; standard output when left out.")

    def handle(self, *args, format, output, **options):
        try:
            stream = open(output, "w", newline="", encoding="utf-8") if output else self.stdout  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
        customers = (
            Customer.objects.filter(erased_at__isnull=True)
            .prefetch_related("contacts")
            .order_by("id")
            .iterator(chunk_size=500)
        )
        count = 0
        self.stdout.ending = ""  # the writers below end their own lines
        try:
            if format == "json":
                stream.write("[")
                for count, customer in enumerate(customers, start=1):
                    stream.write(("," if count > 1 else "") + "\n" + json.dumps(_row(customer), ensure_ascii=False))
                stream.write("\n]\n")
            else:
                keys = list(CustomAttributeDefinition.objects.values_list("key", flat=True))
                writer = csv.DictWriter(stream, fieldnames=COLUMNS + keys)
                writer.writeheader()
                for count, customer in enumerate(customers, start=1):  # noqa: B007 - reported below
                    row = _row(customer)
                    attributes = row.pop("custom_attributes")
                    for name in ("emails", "phones", "labels"):
                        row[name] = ";".join(row[name])
                    writer.writerow({**row, **{k: attributes.get(k, "") for k in keys}})
        finally:
            if output:
                stream.close()
        self.stderr.write(f"Exported {count} customers.")
