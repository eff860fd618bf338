"""factory_boy factories for the whole suite."""

import factory
from factory.django import DjangoModelFactory

from conversations.models import Conversation, Inbox, Message
from customers.models import ChannelIdentity, Customer
from helpdesk.models import Agent, Team
from hours.models import BusinessHoursPolicy

PASSWORD = "correct horse battery staple"


class AgentFactory(DjangoModelFactory):
    class Meta:
        model = Agent
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"agent{n}")
    display_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    availability = Agent.Availability.ONLINE
    password = factory.django.Password(PASSWORD)


class BusinessHoursPolicyFactory(DjangoModelFactory):
    class Meta:
        model = BusinessHoursPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    time_zone = "Europe/Berlin"


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class InboxFactory(DjangoModelFactory):
    class Meta:
        model = Inbox

    name = factory.Sequence(lambda n: f"Inbox {n}")
    slug = factory.Sequence(lambda n: f"inbox-{n}")
    kind = "webchat"
    team = factory.SubFactory(TeamFactory)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    locale = "en"
    time_zone = "Europe/London"


class ChannelIdentityFactory(DjangoModelFactory):
    class Meta:
        model = ChannelIdentity

    customer = factory.SubFactory(CustomerFactory)
    kind = "webchat"
    address = factory.Sequence(lambda n: f"visitor-{n}")


class ConversationFactory(DjangoModelFactory):
    class Meta:
        model = Conversation

    inbox = factory.SubFactory(InboxFactory)
    customer = factory.SubFactory(CustomerFactory)
    team = factory.LazyAttribute(lambda o: o.inbox.team)


class MessageFactory(DjangoModelFactory):
    """Rows straight into the log (for list and query tests); real code writes through message_create."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    seq = factory.Sequence(lambda n: n + 1)
    sender = Message.Sender.CUSTOMER
    body = factory.Faker("sentence")


class ContactPointFactory(DjangoModelFactory):
    class Meta:
        model = "customers.ContactPoint"

    customer = factory.SubFactory(CustomerFactory)
    kind = "email"
    value = factory.Sequence(lambda n: f"contact{n}@example.com")


class CustomAttributeDefinitionFactory(DjangoModelFactory):
    class Meta:
        model = "customers.CustomAttributeDefinition"
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"attribute_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " ").capitalize())
    type = "text"
