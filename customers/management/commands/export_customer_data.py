"""Write everything held on one customer as JSON, for a data-protection access request."""

import json

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from customers.profiles.selectors import customer_data_export


class Command(BaseCommand):
    help = "Export everything held on one customer (profile, addresses, notes, lookups, conversations) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--output", "-o", help="File to write; standard output when left out.")

    def handle(self, *args, customer_id, output, **options):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"There is no customer #{customer_id}.")
        text = json.dumps(customer_data_export(customer=customer), ensure_ascii=False, indent=2)
        if output:
            try:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(text + "\n")
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text)
