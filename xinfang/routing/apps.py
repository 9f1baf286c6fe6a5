from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "xinfang.routing"
    verbose_name = _("routing proposals")

    def ready(self) -> None:
        from xinfang.org.models import Region
        from xinfang.petitions.eventlog import workflow_events_written
        from xinfang.routing import places, units
        from xinfang.routing.models import RoutingRule
        from xinfang.routing.services import on_workflow_events_written

        # the unit proposal of every forward and assignment is kept, in the action's transaction
        workflow_events_written.connect(on_workflow_events_written, dispatch_uid="routing_unit_outcome")
        for model, table in ((RoutingRule, units.rules_table), (Region, places.name_index)):
            post_save.connect(table.invalidate, sender=model, dispatch_uid=f"routing-{model.__name__}")
            post_delete.connect(table.invalidate, sender=model, dispatch_uid=f"routing-del-{model.__name__}")
