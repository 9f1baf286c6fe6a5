"""Configuration in the admin: categories and legal periods. Petitions are read-only here: they
change only through the workflow services, so that every change is in the event log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from xinfang.petitions import deadlines
from xinfang.petitions.models import Category, CoHandling, Deadline, Event, LegalPeriod, Petition, PetitionParty
from xinfang.petitions.selectors import petition_list_for


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("path", "level")
    list_filter = ("level",)
    search_fields = ("name", "path")
    autocomplete_fields = ("parent",)


@admin.register(LegalPeriod)
class LegalPeriodAdmin(admin.ModelAdmin):
    list_display = ("key", "days", "working_days", "roll_over", "article")
    readonly_fields = ("key",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PartyInline(ReadOnlyInline):
    model = PetitionParty
    fields = ("petitioner", "is_representative")


class CoHandlingInline(ReadOnlyInline):
    model = CoHandling
    fields = ("unit", "part")


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fields = ("kind", "unit", "due_on", "is_open", "explanation")
    readonly_fields = ("explanation",)

    @admin.display(description=_("how it was computed"))
    def explanation(self, obj: Deadline) -> str:
        return deadlines.explain(obj)


class EventInline(ReadOnlyInline):
    model = Event
    fields = ("seq", "at", "actor_label", "action", "from_state", "to_state", "data")


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    inlines = [PartyInline, CoHandlingInline, DeadlineInline, EventInline]
    list_display = ("query_code", "title", "kind", "channel", "state", "owner_unit", "due_on", "received_at")
    list_filter = ("state", "kind", "channel", "priority")
    search_fields = ("query_code", "title")
    list_select_related = ("owner_unit",)
    show_full_result_count = False

    def get_queryset(self, request):
        return petition_list_for(request.user)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("petition", "seq", "at", "actor_label", "action", "from_state", "to_state")
    list_select_related = ("petition",)
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(petition__in=petition_list_for(request.user))
