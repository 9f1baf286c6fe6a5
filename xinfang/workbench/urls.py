from django.contrib.auth import views as auth_views
from django.urls import path

from xinfang.routing import views as routing_views
from xinfang.workbench import views, views_alerts

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="workbench/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("find/", views.find, name="find"),
    path("alerts/", views_alerts.alerts, name="alerts"),
    path("register/", views.register, name="register"),
    path("register/lookup", views.register_lookup, name="register_lookup"),
    path("register/similar", views.register_similar, name="register_similar"),
    path("register/category", views.register_category, name="register_category"),
    path("register/place", routing_views.register_place, name="register_place"),
    path("queue/", views.work_queue, name="queue"),
    path("queue/export.xlsx", views.work_queue_export, name="queue_export"),
    path("p/<int:pk>/", views.petition_detail, name="petition"),
    path("p/<int:pk>/act/<slug:action>/", views.petition_act, name="petition_act"),
    path("p/<int:pk>/reply-check", routing_views.reply_check, name="reply_check"),
    path("p/<int:pk>/petitioners/<int:party_pk>/reveal", views.petitioner_reveal, name="petitioner_reveal"),
    path("p/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("p/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("p/<int:pk>/supervision/<slug:action>/", views.petition_supervision, name="petition_supervision"),
]
