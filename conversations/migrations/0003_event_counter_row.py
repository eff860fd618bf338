from django.db import migrations


def create_counter(apps, schema_editor):
    apps.get_model("conversations", "EventCounter").objects.get_or_create(pk=1, defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_initial")]
    operations = [migrations.RunPython(create_counter, migrations.RunPython.noop)]
