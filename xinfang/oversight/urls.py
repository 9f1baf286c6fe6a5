from django.urls import path

from xinfang.oversight import views

app_name = "oversight"

urlpatterns = [
    path("hot/", views.hot_issue_list, name="hot_issues"),
    path("hot/<int:pk>/", views.hot_issue_detail, name="hot_issue"),
    path("hot/<int:pk>/supervise/", views.hot_issue_supervise, name="hot_issue_supervise"),
]
