from django.urls import path

from xinfang.documents import views

app_name = "documents"

urlpatterns = [
    path("p/<int:pk>/notice/<slug:kind>.docx", views.notice, {"fmt": "docx"}, name="notice_docx"),
    path("p/<int:pk>/notice/<slug:kind>.pdf", views.notice, {"fmt": "pdf"}, name="notice_pdf"),
]
