from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.schedule.models import JobRun, ScheduledJob, Tick
from xinfang.schedule.services import job_run_soon, task_for


class ScheduledJobForm(ModelForm):
    class Meta:
        model = ScheduledJob
        fields = ["name", "task", "description", "every", "queue", "enabled", "next_run"]

    def clean_task(self) -> str:
        path = self.cleaned_data["task"]
        try:
            task_for(path)
        except ValueError as e:
            raise ValidationError(_("No django.tasks task at this path.")) from e
        return path

    def clean_queue(self) -> str:
        queue = self.cleaned_data["queue"]
        if queue not in settings.TASKS["default"]["QUEUES"]:
            raise ValidationError(_("No such queue."))
        return queue

    def clean_every(self) -> int:
        every = self.cleaned_data["every"]
        if every < 1:
            raise ValidationError(_("At least one second."))
        return every


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    form = ScheduledJobForm
    list_display = (
        "name",
        "description",
        "every",
        "enabled",
        "next_run",
        "last_started",
        "last_finished",
        "last_outcome",
        "failures",
        "running_since",
        "runs",
    )
    list_editable = ("every", "enabled")
    list_filter = ("enabled", "last_outcome")
    readonly_fields = ("running_since", "last_started", "last_finished", "last_outcome", "failures", "last_error")
    actions = ["run_now"]

    @admin.display(description=_("runs"))
    def runs(self, job: ScheduledJob) -> str:
        url = reverse("admin:schedule_jobrun_changelist") + f"?job__id__exact={job.pk}"
        return format_html('<a href="{}">{}</a>', url, _("runs"))

    @admin.action(description=_("Run at the next tick"))
    def run_now(self, request, queryset) -> None:
        count = job_run_soon(list(queryset.values_list("name", flat=True)))
        self.message_user(request, gettext("Jobs that will run at the next tick: %(count)d") % {"count": count})


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("job", "started", "finished", "outcome", "attempt")
    list_filter = ("outcome", "job")
    list_select_related = ("job",)
    readonly_fields = ("job", "started", "finished", "outcome", "attempt", "result", "error")
    date_hierarchy = "started"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tick)
class TickAdmin(admin.ModelAdmin):
    list_display = ("beat", "next_at")
    readonly_fields = ("beat", "next_at")

    def has_add_permission(self, request) -> bool:
        return False
