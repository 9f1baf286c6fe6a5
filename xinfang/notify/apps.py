from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "xinfang.notify"
    verbose_name = _("notices to petitioners")
