"""Import customer profiles from a CSV file, idempotently (matched on external id, then e-mail).

Columns (header names, any order, all optional but at least one of external_id / email per row):
external_id, name, email, emails, phone, phones, company, location, locale, time_zone, status, labels,
avatar_url, and one column per custom attribute key (or ``attr:<key>``). Several e-mails, phones or labels
are separated by ``;``. Empty cells leave the stored value alone.
"""

import csv
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from customers import services
from customers.models import ContactPoint, CustomAttributeDefinition, Customer

LIST_COLUMNS = {"emails": "emails", "email": "emails", "phones": "phones", "phone": "phones", "labels": "labels"}
PLAIN_COLUMNS = {"external_id", "name", "company", "location", "locale", "time_zone", "status", "avatar_url"}


class DryRunRollback(Exception):
    pass


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _progress(done: int, total: int, stream) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
    stream.flush()


class Command(BaseCommand):
    help = "Import customers from a CSV file (idempotent on external_id or e-mail). Use --dry-run to check first."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to a UTF-8 CSV file with a header row.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report; write nothing.")

    def handle(self, *args: Any, file: str, dry_run: bool, **options: Any) -> None:
        try:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
        except FileNotFoundError:
            raise CommandError(f"There is no file at {file}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text; save it as UTF-8 CSV and try again.") from None
        except csv.Error as exc:
            raise CommandError(f"{file} is not a readable CSV file: {exc}.") from None
        if not rows:
            raise CommandError(f"{file} has no rows under its header; nothing to import.")
        attribute_keys = set(CustomAttributeDefinition.objects.values_list("key", flat=True))
        header = [name.strip() for name in rows[0] if name]
        unknown = [
            h
            for h in header
            if h not in PLAIN_COLUMNS and h not in LIST_COLUMNS and h.removeprefix("attr:") not in attribute_keys
        ]
        if unknown:
            raise CommandError(
                f"Unknown column(s): {', '.join(unknown)}. Known: {', '.join(sorted(PLAIN_COLUMNS | set(LIST_COLUMNS)))}"
                " and the custom attribute keys defined in the admin."
            )

        created = updated = 0
        errors: list[str] = []
        stderr = self.stderr
        try:
            with transaction.atomic():
                for index, row in enumerate(rows):
                    line = index + 2  # the header is line 1
                    try:
                        with transaction.atomic():
                            was_created = self._import_row(row, attribute_keys)
                        created += was_created
                        updated += not was_created
                    except ValidationError as exc:
                        errors.append(f"line {line}: {self._reason(exc)}")
                    _progress(index + 1, len(rows), stderr)
                if dry_run:
                    raise DryRunRollback
        except DryRunRollback:
            pass
        stderr.write("")
        for error in errors:
            self.stderr.write(error)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{created} customers {verb} created, {updated} {verb} updated, {len(errors)} rows had errors."
        )
        if errors:
            raise CommandError(
                f"{len(errors)} of {len(rows)} rows could not be imported (listed above); fix them and run the "
                "import again: rows already imported are matched, not duplicated."
            )

    @staticmethod
    def _reason(exc: ValidationError) -> str:
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        return " ".join(exc.messages)

    def _import_row(self, row: dict, attribute_keys: set[str]) -> bool:
        data: dict = {}
        attributes: dict = {}
        for column, raw in row.items():
            if column is None:
                raise ValidationError("the row has more cells than the header has columns.")
            value = (raw or "").strip()
            if not value:
                continue
            column = column.strip()
            if column in LIST_COLUMNS:
                data.setdefault(LIST_COLUMNS[column], []).extend(_split(value))
            elif column in PLAIN_COLUMNS:
                data[column] = value
            else:
                attributes[column.removeprefix("attr:")] = value
        if attributes:
            data["custom_attributes"] = attributes
        external_id = data.get("external_id", "")
        emails = [services.email_clean(e) for e in data.get("emails", []) if "@" in e] if data.get("emails") else []
        if not external_id and not data.get("emails"):
            raise ValidationError("a row needs an external_id or an e-mail to be matched on.")
        customer = None
        if external_id:
            customer = Customer.objects.filter(external_id=external_id, erased_at__isnull=True).order_by("id").first()
        if customer is None and emails:
            customer = (
                Customer.objects.filter(
                    erased_at__isnull=True, contacts__kind=ContactPoint.Kind.EMAIL, contacts__value__in=emails
                )
                .order_by("id")
                .first()
                or Customer.objects.filter(erased_at__isnull=True, email__in=emails).order_by("id").first()
            )
        if customer is None:
            services.customer_create(data=data)
            return True
        # Keep addresses the profile already has: an import adds, it does not forget.
        for name, current in (("emails", customer.emails), ("phones", customer.phones)):
            if name in data:
                data[name] = current + [v for v in data[name] if v not in current]
        if "labels" in data:
            data["labels"] = customer.labels + data["labels"]
        services.customer_update(customer=customer, data=data)
        return False
