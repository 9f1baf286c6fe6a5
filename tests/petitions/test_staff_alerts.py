"""Deadline warnings reach people (issue 20, point 5): the unit that must meet a deadline is alerted a
configurable number of working days before it and the day after it passes, once per person; the top bar
shows the unread count at no query's cost; the alerts page lists them and marks them read; e-mail where
configured, once; a leader's dashboard counts the deadlines passed per unit."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import at, register, staff_login
from xinfang.notify.staff import staff_alerts_email_due
from xinfang.org.models import User
from xinfang.petitions.alerts import deadlines_check, overdue_by_unit_for, warn_until
from xinfang.petitions.models import AlertKind, Deadline, StaffAlert
from xinfang.petitions.models import DeadlineKind as K

D = dt.date
BUREAU_ALERTED = {"clerk", "bureau_staff", "bureau_handler", "bureau_unit_head"}


def client_for(user: User) -> Client:
    client = Client()
    staff_login(client, user)
    return client


def names(alerts) -> set[str]:
    return {a.recipient.username for a in alerts}


def unread(org, key: str) -> int:
    return User.objects.get(pk=org.users[key].pk).alerts_unread


def test_three_working_days_before_skip_the_weekend_and_the_holiday(db, settings):
    # Dragon Boat Festival 2026: Friday 19 June
    assert warn_until(D(2026, 6, 15)) == D(2026, 6, 18)  # Tue, Wed, Thu
    assert warn_until(D(2026, 6, 16)) == D(2026, 6, 22)  # Wed, Thu, (Fri holiday, weekend) Mon
    settings.DEADLINE_WARN_WORKING_DAYS = 1
    assert warn_until(D(2026, 6, 18)) == D(2026, 6, 22)
    assert warn_until(D(2026, 6, 17)) == D(2026, 6, 18)


def test_the_units_staff_are_alerted_once_before_and_once_after(org):
    p = register(org, on=at(2026, 3, 2))  # intake (the bureau's) due Tuesday 2026-03-17
    d = Deadline.objects.get(petition=p, kind=K.INTAKE)
    assert deadlines_check(at(2026, 3, 11)).warned == 0  # four working days before
    assert not StaffAlert.objects.exists()
    deadlines_check(at(2026, 3, 12))
    assert names(StaffAlert.objects.filter(kind=AlertKind.DUE_SOON)) == BUREAU_ALERTED
    assert all(a.deadline_id == d.pk and a.due_on == D(2026, 3, 17) for a in StaffAlert.objects.all())
    deadlines_check(at(2026, 3, 13))
    deadlines_check(at(2026, 3, 17, 23))  # the due day itself is not late
    assert StaffAlert.objects.count() == len(BUREAU_ALERTED)  # each once
    assert unread(org, "bureau_staff") == 1 and unread(org, "supervisor") == 0 and unread(org, "hrss_handler") == 0
    deadlines_check(at(2026, 3, 18, 8))
    deadlines_check(at(2026, 3, 18, 9))
    assert names(StaffAlert.objects.filter(kind=AlertKind.OVERDUE)) == BUREAU_ALERTED
    assert StaffAlert.objects.count() == 2 * len(BUREAU_ALERTED)
    assert unread(org, "clerk") == 2


def test_the_alerts_page_lists_them_marks_them_read_at_a_fixed_cost(org):
    staff = org.users["bureau_staff"]
    client = client_for(staff)
    client.get("/alerts/")  # the in-memory tables loaded once

    def cost() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/alerts/").status_code == 200
        return len(ctx.captured_queries)

    register(org, on=at(2026, 3, 2))
    deadlines_check(at(2026, 3, 12))
    assert unread(org, "bureau_staff") == 1
    one = cost()  # one unread alert, listed and marked read
    assert unread(org, "bureau_staff") == 0 and StaffAlert.objects.filter(recipient=staff, read_at=None).count() == 0
    page = client.get("/alerts/").content.decode()
    assert "期限将至" in page and "2026-03-17" in page and "<strong>" not in page  # read now: not in bold
    for day in range(3, 9):
        register(org, on=at(2026, 3, day))
    deadlines_check(at(2026, 3, 20))
    assert unread(org, "bureau_staff") == 7
    seven = cost()
    assert seven == one, (one, seven)
    assert StaffAlert.objects.filter(recipient=staff, read_at=None).count() == 0


def test_the_top_bar_shows_the_unread_count_at_no_extra_query(org):
    staff = org.users["bureau_staff"]
    client = client_for(staff)
    client.get("/")

    def home() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/").content.decode()
        return page, len(ctx.captured_queries)

    before, cost_before = home()
    assert 'class="badge" aria-label="' not in before
    register(org, on=at(2026, 3, 2))
    register(org, on=at(2026, 3, 3))
    deadlines_check(at(2026, 3, 13))
    after, cost_after = home()
    assert 'aria-label="2 条未读">2</span>' in after
    assert cost_after == cost_before


def test_an_alert_on_a_petition_the_person_may_not_see_is_not_listed(org):
    register(org, on=at(2026, 3, 2))
    deadlines_check(at(2026, 3, 12))
    outsider = org.users["hrss_handler"]
    alert = StaffAlert.objects.first()
    StaffAlert.objects.create(
        recipient=outsider, deadline=alert.deadline, petition=alert.petition, kind=AlertKind.OVERDUE,
        due_on=alert.due_on, created_at=alert.created_at,
    )  # fmt: skip
    page = client_for(outsider).get("/alerts/").content.decode()
    assert alert.petition.query_code not in page and "没有期限提醒" in page


def test_alerts_are_e_mailed_once_to_those_with_an_address_when_configured(org, settings):
    User.objects.filter(pk=org.users["bureau_staff"].pk).update(email="staff@example.org")
    register(org, on=at(2026, 3, 2))
    deadlines_check(at(2026, 3, 12))
    settings.STAFF_ALERT_EMAIL = False
    assert staff_alerts_email_due() == {"sent": 0, "failed": 0} and mail.outbox == []
    settings.STAFF_ALERT_EMAIL = True
    assert staff_alerts_email_due() == {"sent": 1, "failed": 0}
    assert mail.outbox[0].to == ["staff@example.org"] and "期限提醒" in mail.outbox[0].subject
    assert staff_alerts_email_due() == {"sent": 0, "failed": 0}  # once


def test_a_failed_e_mail_is_tried_again(org, settings, monkeypatch):
    settings.STAFF_ALERT_EMAIL = True
    User.objects.filter(pk=org.users["clerk"].pk).update(email="clerk@example.org")
    register(org, on=at(2026, 3, 2))
    deadlines_check(at(2026, 3, 12))

    def refused(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(mail, "send_mail", refused)
    assert staff_alerts_email_due() == {"sent": 0, "failed": 1}
    monkeypatch.undo()
    assert staff_alerts_email_due() == {"sent": 1, "failed": 0}


def test_the_leaders_dashboard_counts_the_deadlines_passed_per_unit_in_reach(org):
    for day in (2, 3):
        register(org, on=at(2026, 3, day))
    deadlines_check(at(2026, 4, 1))
    rows = overdue_by_unit_for(org.users["leader"])
    assert rows == [{"unit_id": org.bureau.pk, "unit__name": "示范县信访局", "overdue": 2}]
    assert overdue_by_unit_for(org.users["town_a_handler"]) == []  # another unit's
    assert overdue_by_unit_for(org.users["other_bureau_staff"]) == []  # another county
    page = client_for(org.users["leader"]).get("/dashboard/?period=month&month=2026-03").content.decode()
    assert "按责任单位" in page and "示范县信访局" in page
