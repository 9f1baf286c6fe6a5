from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xinfang.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from xinfang.org import selectors
        from xinfang.org.models import Region, Unit

        for model in (Region, Unit):
            post_save.connect(selectors.invalidate_cache, sender=model, dispatch_uid=f"org-cache-{model.__name__}")
            post_delete.connect(selectors.invalidate_cache, sender=model,
                                dispatch_uid=f"org-cache-del-{model.__name__}")
