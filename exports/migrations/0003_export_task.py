import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0002_run_progress_and_outcome_note"),
        ("outreach", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportTask",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("idle", "idle"),
                            ("queued", "queued"),
                            ("running", "running"),
                        ],
                        default="idle",
                        max_length=16,
                    ),
                ),
                (
                    "task_id",
                    models.CharField(
                        blank=True,
                        help_text="django-q2 id of the queued or running task, or of the last one.",
                        max_length=64,
                    ),
                ),
                (
                    "trigger",
                    models.CharField(
                        blank=True,
                        help_text="What asked for the queued export.",
                        max_length=32,
                    ),
                ),
                (
                    "state_changed_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                (
                    "requested_while_running",
                    models.BooleanField(
                        default=False,
                        help_text="An export was asked for while this one ran; a follow-up is queued when it ends.",
                    ),
                ),
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="export_task",
                        to="outreach.account",
                    ),
                ),
            ],
        ),
    ]
