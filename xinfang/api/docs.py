"""The API's documentation page (Swagger UI) with its assets served from the django-ninja package
itself: no CDN, and nothing to collect (ninja is not an installed app here)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png", "favicon.svg"})


class OfflineSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = self.settings | {"url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", {"swagger_settings": settings, "api": api})


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One of Swagger UI's files bundled with django-ninja."""
    if name not in ASSETS:
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((ASSETS_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
