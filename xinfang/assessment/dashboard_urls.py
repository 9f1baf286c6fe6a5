"""The leaders' dashboard (included from xinfang.assessment.urls)."""

from django.urls import path

from xinfang.assessment import dashboard_views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
]
