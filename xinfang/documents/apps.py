from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "xinfang.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from xinfang.documents import services
        from xinfang.documents.models import NoticeTemplate

        post_save.connect(services.invalidate_cache, sender=NoticeTemplate, dispatch_uid="invalidate-NoticeTemplate")
        post_delete.connect(
            services.invalidate_cache, sender=NoticeTemplate, dispatch_uid="invalidate-del-NoticeTemplate"
        )
