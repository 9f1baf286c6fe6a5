"""Background tasks of assessment (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task
from django.utils import timezone

from xinfang.assessment.aggregates import aggregates_rebuild
from xinfang.assessment.services import month_close as month_close_run
from xinfang.lib.months import month_previous, month_start


@task
def aggregates_current_month() -> dict[str, int]:
    """Rebuild the statistics of the current month (the dashboard and reports read them)."""
    return aggregates_rebuild(month_start(timezone.localdate()))


@task
def month_close() -> dict[str, object]:
    """Close the previous month: its ranking and rules, once it has ended (a no-op once closed)."""
    result = month_close_run(month_previous(month_start(timezone.localdate())))
    fired = {rule: len(units) for rule, units in result.fired.items()}
    return {"month": f"{result.month:%Y-%m}", "already_closed": result.already_closed, "units": result.units, **fired}
