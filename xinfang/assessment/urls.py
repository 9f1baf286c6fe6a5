"""Pre-aggregated statistics, indicators, rankings and bulletins (考核、通报、排名)."""

from django.urls import include, path

from xinfang.assessment import views

app_name = "assessment"
urlpatterns = [
    path("assessment/ranking/", views.ranking, name="ranking"),
    path("assessment/ranking/export.xlsx", views.ranking_export, name="ranking_export"),
    path("assessment/regions/", views.regions, name="regions"),
    path("assessment/unit/<int:unit_id>/<str:month>/", views.explanation, name="explanation"),
    path("assessment/rectification/", views.rectification_list, name="rectifications"),
    path("assessment/rectification/<int:pk>/", views.rectification, name="rectification"),
    path(
        "assessment/rectification/<int:pk>/notice.docx",
        views.rectification_notice,
        {"fmt": "docx"},
        name="rectification_notice_docx",
    ),
    path(
        "assessment/rectification/<int:pk>/notice.pdf",
        views.rectification_notice,
        {"fmt": "pdf"},
        name="rectification_notice_pdf",
    ),
    path("", include("xinfang.assessment.dashboard_urls")),  # the leaders' dashboard (o3)
]
