from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "xinfang.notify"
    verbose_name = _("notices to petitioners")

    def ready(self) -> None:
        from xinfang.notify.services import on_workflow_events_written
        from xinfang.petitions.eventlog import workflow_events_written

        workflow_events_written.connect(on_workflow_events_written, dispatch_uid="notify_enqueue")
