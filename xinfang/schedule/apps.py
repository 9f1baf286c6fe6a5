from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "xinfang.schedule"
    verbose_name = _("schedule")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from xinfang.schedule.services import schedule_install  # noqa: PLC0415 — models load after ready

        post_migrate.connect(lambda sender, **kw: schedule_install(), sender=self, weak=False)
