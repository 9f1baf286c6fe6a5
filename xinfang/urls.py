from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "信访工作平台 Xinfang"
admin.site.site_title = "信访 Xinfang"
admin.site.index_title = "管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
