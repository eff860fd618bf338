"""import_customers and export_customers: idempotent import, dry run, bad rows by line, exports."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer
from tests.factories import CustomAttributeDefinitionFactory, CustomerFactory

pytestmark = pytest.mark.django_db

GOOD = """external_id,name,emails,phones,company,status,labels,seats
c-1,Mia Müller,mia@example.com;mia@work.example,+49 30 1234567,Acme,customer,beta;vip,20
,Liam O'Brien,liam@example.com,,,lead,,
"""


@pytest.fixture
def csv_file(tmp_path):
    def write(text):
        path = tmp_path / "customers.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_and_a_second_run_changes_nothing(csv_file):
    CustomAttributeDefinitionFactory(key="seats", type="number")
    path = csv_file(GOOD)
    out, err = _run("import_customers", path)
    assert "2 customers were created, 0 were updated" in out
    assert "2/2" in err, "a progress bar on stderr"
    mia = Customer.objects.get(external_id="c-1")
    assert mia.emails == ["mia@example.com", "mia@work.example"]
    assert mia.phone == "+49301234567"
    assert mia.custom_attributes == {"seats": 20}
    assert mia.labels == ["beta", "vip"]

    out, _ = _run("import_customers", path)
    assert "0 customers were created, 2 were updated" in out
    assert Customer.objects.count() == 2
    assert Customer.objects.get(external_id="c-1").labels == ["beta", "vip"]


def test_it_matches_on_email_when_there_is_no_external_id(csv_file):
    existing = CustomerFactory(email="liam@example.com", name="Liam")
    _run("import_customers", csv_file("emails,company\nLIAM@example.com,Bricks\n"))
    existing.refresh_from_db()
    assert existing.company == "Bricks"
    assert Customer.objects.count() == 1


def test_a_dry_run_checks_everything_and_writes_nothing(csv_file):
    CustomAttributeDefinitionFactory(key="seats", type="number")
    out, _ = _run("import_customers", csv_file(GOOD), "--dry-run")
    assert "2 customers would be created" in out
    assert not Customer.objects.exists()


def test_it_reports_every_bad_row_with_its_line_and_exits_non_zero(csv_file):
    CustomAttributeDefinitionFactory(key="seats", label="Seats", type="number")
    text = GOOD + "c-3,Bad Mail,not-an-email,,,,,\nc-4,Bad Seats,ok@example.com,,,,,many\n,No Key,,,,,,\n"
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 of 5 rows could not be imported"):
        call_command("import_customers", csv_file(text), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "line 4: emails: “not-an-email” is not an e-mail address." in report
    assert "line 5: custom_attributes.seats: Seats must be a number" in report
    assert "line 6: a row needs an external_id or an e-mail" in report
    assert Customer.objects.count() == 2, "good rows are imported"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "There is no file"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"name,shoe_size\nMia,38\n", "Unknown column(s): shoe_size"),
        (b"name,email\n", "no rows"),
    ],
)
def test_bad_input_gets_a_sentence_and_a_non_zero_exit(tmp_path, content, message):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("import_customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_an_export_can_be_imported_again(tmp_path, csv_file):
    CustomAttributeDefinitionFactory(key="seats", type="number")
    _run("import_customers", csv_file(GOOD))
    out_csv = tmp_path / "out.csv"
    _run("export_customers", "--output", str(out_csv))
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert {r["external_id"] for r in rows} == {"c-1", ""}
    mia = next(r for r in rows if r["external_id"] == "c-1")
    assert mia["emails"] == "mia@example.com;mia@work.example"
    assert mia["seats"] == "20"

    out, _ = _run("export_customers", "--format", "json")
    data = json.loads(out)
    assert {c["name"] for c in data} == {"Mia Müller", "Liam O'Brien"}
