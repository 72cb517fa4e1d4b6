import secrets

from django.db import migrations, models

import discussions.models


def give_each_session_a_token(apps, schema_editor):
    Session = apps.get_model("discussions", "Session")
    for session in Session.objects.filter(screen_token__isnull=True):
        session.screen_token = secrets.token_urlsafe(24)
        session.save(update_fields=["screen_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0003_facilitation"),
    ]

    operations = [
        migrations.RunPython(give_each_session_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="session",
            name="screen_token",
            field=models.CharField(
                default=discussions.models.generate_screen_token, max_length=43, unique=True
            ),
        ),
    ]
