from django.db import migrations


def create_settings_row(apps, schema_editor):
    """The admin edits one row; create it with the defaults so it is there to edit."""
    TicketSettings = apps.get_model("tickets", "TicketSettings")
    TicketSettings.objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_alter_ticketevent_kind_ticketsettings"),
    ]

    operations = [migrations.RunPython(create_settings_row, migrations.RunPython.noop)]
