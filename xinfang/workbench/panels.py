"""The registration desk's two live panels, from what the clerk has typed so far (a GET of the htmx
request, or the POST of a form shown again): earlier petitioners found by name, phone or ID number
(partials/lookup.html) and likely earlier petitions on the same matter (partials/similar.html).
Both keep the choices already made (the "same person" radio, the ticked "same matter" boxes)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from xinfang.org.models import Region, User
from xinfang.petitions.models import Petitioner
from xinfang.petitions.selectors import id_number_normalise, petitioner_lookup_for, phone_normalise
from xinfang.petitions.similar import MIN_CHARS, similar_petitions_for
from xinfang.workbench.forms import pick_by_part


def _ticked(params: QueryDict) -> set[str]:
    return {v for v in params.getlist("related") if v.isdigit()}


def lookup_context(user: User, params: QueryDict) -> dict[str, Any]:
    typed = {k: params.get(k, "") for k in ("name", "phone", "id_number")}
    matches = petitioner_lookup_for(user, **typed)
    asked = (
        len(typed["name"].strip()) >= 2
        or len(phone_normalise(typed["phone"])) >= 7
        or len(id_number_normalise(typed["id_number"])) >= 15
    )  # what the lookup looks for
    return {"matches": matches, "asked": asked, "chosen": params.get("petitioner_id", ""), "ticked": _ticked(params)}


def similar_context(user: User, params: QueryDict, places: dict[str, Region]) -> dict[str, Any]:
    title, content = params.get("title", ""), params.get("content", "")
    region, _labels = pick_by_part(places, params.get("place", ""))
    chosen = params.get("petitioner_id", "")
    # only the ids of the person's petitions are read with it; what is shown passes petition_list_for
    petitioner = Petitioner(pk=int(chosen)) if chosen.isdigit() and len(chosen) < 19 else None
    found = similar_petitions_for(user, title=title, content=content, region=region, petitioner=petitioner)
    asked = region is not None and len((title + content).strip()) >= MIN_CHARS
    return {"similar": found, "similar_asked": asked, "ticked": _ticked(params)}
