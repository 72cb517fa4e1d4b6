import secrets

from django.db import migrations, models

import discussions.models


def give_each_session_a_results_token(apps, schema_editor):
    Session = apps.get_model("discussions", "Session")
    for session in Session.objects.all():
        session.results_token = secrets.token_urlsafe(24)
        session.save(update_fields=["results_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("discussions", "0011_languages_of_groups_and_positions"),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="outcome_published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="participant",
            name="credited",
            field=models.BooleanField(default=False),
        ),
        # Null first, so that every existing session gets a token of its own, then unique.
        migrations.AddField(
            model_name="session",
            name="results_token",
            field=models.CharField(max_length=43, null=True),
        ),
        migrations.RunPython(give_each_session_a_results_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="session",
            name="results_token",
            field=models.CharField(
                default=discussions.models.generate_screen_token, max_length=43, unique=True
            ),
        ),
    ]
