"""The django-q2 schedule that sweeps every account for exports nothing triggered.

Events queue exports as leads and messages arrive; the sweep catches what they
missed (a task lost with the broker, a run that failed halfway). Its schedule
lives in the database, so `ensure_sweep_schedule` runs after every `migrate`
(and every test-database flush) and keeps exactly one schedule named
SWEEP_SCHEDULE_NAME, with the interval of settings.EXPORT_SWEEP_MINUTES.
"""

import logging

from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django_q.models import Schedule

logger = logging.getLogger(__name__)

SWEEP_SCHEDULE_NAME = "exports.sweep"
SWEEP_FUNCTION = "exports.tasks.sweep_exports"


def ensure_sweep_schedule(
    sender, *, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs
) -> None:
    """Create or correct the sweep's schedule; a post_migrate handler.

    Leaves the next run of an existing schedule alone, so a deployment does
    not shift it.
    """
    if "django_q_schedule" not in connections[using].introspection.table_names():
        return
    # The model as migrations left it (a flush passes no `apps`); the real one
    # only lends its constant.
    schedule_model = apps.get_model("django_q", "Schedule")
    wanted = {
        "func": SWEEP_FUNCTION,
        "schedule_type": Schedule.MINUTES,
        "minutes": settings.EXPORT_SWEEP_MINUTES,
        "repeats": -1,
    }
    schedules = schedule_model.objects.using(using).filter(name=SWEEP_SCHEDULE_NAME)
    schedule = schedules.order_by("id").first()
    if schedule is None:
        schedule_model.objects.using(using).create(
            name=SWEEP_SCHEDULE_NAME, next_run=timezone.now(), **wanted
        )
        logger.info(
            "Created the django-q2 schedule %s: every %s minutes",
            SWEEP_SCHEDULE_NAME,
            settings.EXPORT_SWEEP_MINUTES,
        )
        return
    schedules.exclude(pk=schedule.pk).delete()
    if any(getattr(schedule, name) != value for name, value in wanted.items()):
        schedules.filter(pk=schedule.pk).update(**wanted)
