from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xinfang.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from xinfang.org import selectors, signin  # noqa: F401  (signin: the sign-in signal's receiver)
        from xinfang.org.middleware import otp_device_forget
        from xinfang.org.models import Region, Unit

        post_save.connect(otp_device_forget, sender=TOTPDevice, dispatch_uid="org-otp-device-saved")
        post_delete.connect(otp_device_forget, sender=TOTPDevice, dispatch_uid="org-otp-device-deleted")

        for model in (Region, Unit):
            post_save.connect(selectors.invalidate_cache, sender=model, dispatch_uid=f"org-cache-{model.__name__}")
            post_delete.connect(
                selectors.invalidate_cache, sender=model, dispatch_uid=f"org-cache-del-{model.__name__}"
            )
