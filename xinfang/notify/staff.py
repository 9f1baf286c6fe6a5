"""Deadline alerts to staff by e-mail (期限提醒邮件): each StaffAlert (petitions.alerts) of a person with an
e-mail address is sent once, when settings.STAFF_ALERT_EMAIL is on. Each is claimed by a conditional UPDATE
of its emailed_at, so several workers never send one twice; a failed send is released and tried again."""

from __future__ import annotations

from django.conf import settings
from django.core import mail
from django.utils import timezone

from xinfang.petitions.models import AlertKind, StaffAlert

BATCH = 200


def alert_text(alert: StaffAlert) -> tuple[str, str]:
    """The subject and body of one alert (Chinese: the workbench's language)."""
    what = "即将到期" if alert.kind == AlertKind.DUE_SOON else "已超期"
    subject = f"【期限提醒】信访事项 {alert.petition.query_code} {alert.deadline.get_kind_display()}{what}"
    body = (
        f"{alert.recipient}：\n\n信访事项 {alert.petition.query_code} 的期限“{alert.deadline.get_kind_display()}”"
        f"{what}（期限：{alert.due_on:%Y年%m月%d日}）。请登录信访工作平台办理。\n"
    )
    return subject, body


def staff_alerts_email_due() -> dict[str, int]:
    """Send the alerts not yet e-mailed to the people who have an address; {"sent", "failed"}."""
    if not settings.STAFF_ALERT_EMAIL:
        return {"sent": 0, "failed": 0}
    sent = failed = 0
    due = StaffAlert.objects.filter(emailed_at__isnull=True).exclude(recipient__email="")
    for alert in due.select_related("recipient", "petition", "deadline").order_by("created_at", "pk")[:BATCH]:
        now = timezone.now()
        if not StaffAlert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(emailed_at=now):
            continue  # another worker took it
        subject, body = alert_text(alert)
        try:
            mail.send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [alert.recipient.email])
        except Exception:  # noqa: BLE001 — released: the next pass tries again
            StaffAlert.objects.filter(pk=alert.pk).update(emailed_at=None)
            failed += 1
        else:
            sent += 1
    return {"sent": sent, "failed": failed}
