from django.urls import path

from xinfang.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/<int:pk>.docx", views.report_download, {"fmt": "docx"}, name="docx"),
    path("reports/<int:pk>.pdf", views.report_download, {"fmt": "pdf"}, name="pdf"),
]
