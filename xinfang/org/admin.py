from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from xinfang.audit.models import AuditAction
from xinfang.audit.services import audit_record
from xinfang.org import signin
from xinfang.org.models import Holiday, Region, Unit, User


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "population")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "region__name")
    autocomplete_fields = ("region", "parent")
    list_select_related = ("region", "parent")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "unit", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "unit__name")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    fieldsets = BaseUserAdmin.fieldsets + ((_("Petition work"), {"fields": ("display_name", "unit", "role")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Petition work"), {"fields": ("display_name", "unit", "role")}),)
    actions = ["signin_unlock", "totp_devices_remove"]

    @admin.action(description=_("Unlock sign-in (after too many wrong passwords)"))
    def signin_unlock(self, request, queryset) -> None:
        for user in queryset:
            signin.signin_unlock(user)
            _account_audit(request, user, "signin_unlock")
        self.message_user(request, _("Unlocked: %(names)s.") % {"names": "、".join(map(str, queryset))})

    @admin.action(description=_("Remove the two-step sign-in device (lost phone)"))
    def totp_devices_remove(self, request, queryset) -> None:
        for user in queryset:
            if signin.totp_devices_remove(user):
                _account_audit(request, user, "totp_devices_remove")
        self.message_user(
            request,
            _("Devices removed: %(names)s. They set up a new one at their next sign-in.")
            % {"names": "、".join(map(str, queryset))},
        )


def _account_audit(request, user: User, what: str) -> None:
    audit_record(
        actor=request.user,
        action=AuditAction.CHANGE,
        object_type="org.user",
        object_id=user.pk,
        detail={"what": what, "username": user.get_username()},
        request=request,
    )


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "is_workday")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
