from django.urls import path

from xinfang.org import views

app_name = "org"

urlpatterns = [
    path("login/code/", views.second_factor, name="second_factor"),  # the sign-in's second step
    path("login/enrol/", views.enrol, name="enrol"),  # set up an authenticator app (两步验证)
]
