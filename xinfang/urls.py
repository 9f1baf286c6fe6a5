from django.contrib import admin
from django.urls import include, path

from xinfang.schedule import views as schedule_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", schedule_views.healthz, name="healthz"),  # database, broker, the workers' heartbeat
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switch in the top bar
    path("portal/", include("xinfang.portal.urls")),  # the public portal (phone first)
    path("api/", include("xinfang.api.urls")),  # the REST API (Django Ninja) and Open311
    path("", include("xinfang.org.urls")),  # the sign-in's second step, authenticator enrolment
    path("", include("xinfang.workbench.urls")),
    path("", include("xinfang.oversight.urls")),  # hot issues (热点问题)
    path("", include("xinfang.documents.urls")),
    path("", include("xinfang.assessment.urls")),  # statistics, indicators, rankings, bulletins
    path("", include("xinfang.reports.urls")),  # scheduled reports (日统计、单周研判、双周通报、月点评)
]
