"""The one schedule of periodic background work (定时任务): each job is a django.tasks task run every
`every` seconds; every run is recorded. xinfang.schedule.services decides what is due and runs it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    RUNNING = "running", _("running")
    OK = "ok", _("succeeded")
    FAILED = "failed", _("failed")


class ScheduledJob(models.Model):
    """One periodic job: which task, how often, when next, and how its last run ended."""

    name = models.SlugField(_("job"), max_length=64, unique=True)
    task = models.CharField(_("task"), max_length=200, help_text=_("dotted path of a django.tasks task"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    every = models.PositiveIntegerField(_("every (seconds)"))
    queue = models.CharField(_("queue"), max_length=32, default="default", help_text=_("default or slow"))
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run = models.DateTimeField(_("next run"), null=True, blank=True, help_text=_("empty: as soon as possible"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True, editable=False)
    last_started = models.DateTimeField(_("last started"), null=True, blank=True, editable=False)
    last_finished = models.DateTimeField(_("last finished"), null=True, blank=True, editable=False)
    last_outcome = models.CharField(_("last outcome"), max_length=8, choices=Outcome, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class JobRun(models.Model):
    """One run of a scheduled job, kept: when, how it ended, what it returned or why it failed."""

    job = models.ForeignKey(ScheduledJob, on_delete=models.CASCADE, related_name="runs", verbose_name=_("job"))
    started = models.DateTimeField(_("started"), db_index=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome, default=Outcome.RUNNING)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["job", "-started"], name="jobrun_job_started")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.started:%Y-%m-%d %H:%M:%S} {self.outcome}"


class Tick(models.Model):
    """The one row that keeps the schedule's heartbeat: when the next tick is due. A tick claims its
    slot by a conditional UPDATE, so one chain of ticks runs however many workers there are."""

    next_at = models.DateTimeField(_("next tick"), null=True, blank=True)
    beat = models.DateTimeField(_("last tick"), null=True, blank=True)

    class Meta:
        verbose_name = _("schedule tick")
        verbose_name_plural = _("schedule ticks")
