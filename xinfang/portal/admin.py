"""The portal's published content, edited by administrators; the hashed tracking phones are not shown."""

from django.contrib import admin

from xinfang.portal.models import PolicyAnswer, ReceptionDay


@admin.register(ReceptionDay)
class ReceptionDayAdmin(admin.ModelAdmin):
    list_display = ("on", "hours", "leader", "unit", "place", "is_published")
    list_filter = ("is_published", "unit")
    date_hierarchy = "on"
    search_fields = ("leader", "place", "topics")


@admin.register(PolicyAnswer)
class PolicyAnswerAdmin(admin.ModelAdmin):
    list_display = ("question", "category", "order", "is_published", "updated_at")
    list_filter = ("is_published",)
    list_editable = ("order", "is_published")
    search_fields = ("question", "answer", "basis")
    autocomplete_fields = ("category",)
