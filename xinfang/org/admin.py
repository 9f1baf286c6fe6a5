from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

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


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "is_workday")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
