"""Erase one customer's personal data for a data-protection request; aggregate figures are kept."""

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from customers.profiles.services.erase import customer_erase


class Command(BaseCommand):
    help = (
        "Anonymise a customer: personal fields and what they wrote are erased, their addresses removed; "
        "conversation counts, statuses and response times stay. Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser):
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, customer_id, yes, **options):
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"There is no customer #{customer_id}.")
        if not yes:
            answer = input(
                f"Erase the personal data of customer #{customer.id} ({customer})? This cannot be undone. [y/N] "
            )
            if answer.strip().lower() not in {"y", "yes"}:
                raise CommandError("Nothing was erased.")
        summary = customer_erase(customer=customer)
        self.stdout.write(
            f"Erased customer #{customer_id}: {summary['messages_erased']} messages in {summary['conversations']} "
            f"conversations, {summary['identities']} channel identities, {summary['contacts']} addresses, "
            f"{summary['notes']} notes removed."
        )
