from django.urls import URLPattern, URLResolver, path

from xinfang.api.api import api
from xinfang.api.docs import docs_asset

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("docs/assets/<str:name>", docs_asset, name="docs-asset"),
    *api.urls[0],
]
