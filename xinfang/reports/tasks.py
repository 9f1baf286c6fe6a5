"""Background tasks of reports (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task
from django.utils import timezone

from xinfang.reports.services import reports_build_due


@task
def reports_build() -> dict[str, int]:
    """Build the scheduled reports (日统计、单周研判、双周通报、月点评) of the periods that have ended."""
    result = reports_build_due(timezone.localdate())
    return {"built": len(result.built), "already_there": result.skipped}
