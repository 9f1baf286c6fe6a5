from django.urls import path

from xinfang.oversight import views, views_follow_up, views_supervision

app_name = "oversight"

urlpatterns = [
    path("hot/", views.hot_issue_list, name="hot_issues"),
    path("hot/<int:pk>/", views.hot_issue_detail, name="hot_issue"),
    path("hot/<int:pk>/supervise/", views.hot_issue_supervise, name="hot_issue_supervise"),
    path("supervision/", views_supervision.supervision_list, name="supervisions"),
    path("supervision/export.xlsx", views_supervision.supervision_export, name="supervision_export"),
    path("supervision/new/", views_supervision.unit_supervision_new, name="unit_supervision_new"),
    path("supervision/<int:pk>/", views_supervision.supervision_detail, name="supervision"),
    path(
        "supervision/<int:pk>/notice.docx",
        views_supervision.supervision_notice,
        {"fmt": "docx"},
        name="supervision_notice_docx",
    ),
    path(
        "supervision/<int:pk>/notice.pdf",
        views_supervision.supervision_notice,
        {"fmt": "pdf"},
        name="supervision_notice_pdf",
    ),
    path("supervision/<int:pk>/<slug:action>/", views_supervision.supervision_step, name="supervision_step"),
    path("recommendations/", views_supervision.recommendation_list, name="recommendations"),
    path("recommendations/new/", views_supervision.recommendation_new, name="recommendation_new"),
    path("recommendations/<int:pk>/", views_supervision.recommendation_detail, name="recommendation"),
    path("recommendations/<int:pk>/<slug:action>/", views_supervision.recommendation_step, name="recommendation_step"),
    path("follow-up/", views_follow_up.follow_up_list, name="follow_ups"),
    path("follow-up/export.xlsx", views_follow_up.follow_up_export, name="follow_up_export"),
    path("follow-up/findings/", views_follow_up.finding_list, name="findings"),
    path("follow-up/p/<int:pk>/", views_follow_up.follow_up_petition, name="follow_up_petition"),
]
