"""Background tasks of petitions (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task

from xinfang.petitions.alerts import deadlines_check as deadlines_check_run


@task
def deadlines_check() -> dict[str, int]:
    """Warn before and flag after each deadline (期限预警与超期标记)."""
    result = deadlines_check_run()
    return {"warned": result.warned, "flagged": result.flagged}
