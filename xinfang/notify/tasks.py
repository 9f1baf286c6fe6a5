"""Background tasks of notify (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task

from xinfang.notify.services import notices_send_due
from xinfang.notify.staff import staff_alerts_email_due


@task
def notices_send() -> dict[str, int]:
    """Send the notices to petitioners that are due (短信、邮件通知)."""
    result = notices_send_due()
    return {"sent": result.sent, "retrying": result.retrying, "gave_up": result.gave_up}


@task
def staff_alerts_email() -> dict[str, int]:
    """E-mail the deadline alerts to staff that have not been sent (when settings.STAFF_ALERT_EMAIL)."""
    return staff_alerts_email_due()
