from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "xinfang.petitions"
    label = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        from xinfang.org import calendar
        from xinfang.org.models import Holiday
        from xinfang.petitions import categories, crypto, rules, search  # noqa: F401 (crypto: its system check)
        from xinfang.petitions.models import Category, LegalPeriod

        for model, handler in (
            (Holiday, calendar.invalidate_cache),
            (LegalPeriod, rules.invalidate_cache),
            (Category, categories.invalidate_cache),
        ):
            post_save.connect(handler, sender=model, dispatch_uid=f"invalidate-{model.__name__}")
            post_delete.connect(handler, sender=model, dispatch_uid=f"invalidate-del-{model.__name__}")
        post_migrate.connect(search.search_index_empty_without_petitions, sender=self, dispatch_uid="search-empty")
