from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xinfang.portal"
    verbose_name = _("public portal")

    def ready(self) -> None:
        from xinfang.org.models import Region, Unit
        from xinfang.portal import selectors

        # the portal's places (and their petition bureaus) are held in memory: reload on a change
        for model in (Region, Unit):
            post_save.connect(selectors.invalidate_cache, sender=model, dispatch_uid=f"portal-places-{model.__name__}")
            post_delete.connect(
                selectors.invalidate_cache, sender=model, dispatch_uid=f"portal-places-del-{model.__name__}"
            )
