from django.urls import URLPattern, URLResolver, path

from xinfang.portal import views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("track/", views.track, name="track"),
    path("p/<int:pk>/", views.petition, name="petition"),
    path("receipt/<str:token>/", views.receipt, name="receipt"),
    path("p/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("p/<int:pk>/appeal/", views.appeal, name="appeal"),
    path("p/<int:pk>/forget/", views.forget, name="forget"),
    path("reception/", views.reception, name="reception"),
    path("policy/", views.policy, name="policy"),
]
