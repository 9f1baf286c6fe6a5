"""Background tasks of notify (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task

from xinfang.notify.services import notices_send_due


@task
def notices_send() -> dict[str, int]:
    """Send the notices to petitioners that are due (短信、邮件通知)."""
    result = notices_send_due()
    return {"sent": result.sent, "retrying": result.retrying, "gave_up": result.gave_up}
