"""Background tasks of routing (django.tasks; run by the schedule, xinfang.schedule)."""

from typing import Any

from django.tasks import task

from xinfang.routing.services import category_model_improve


@task
def category_model_full() -> dict[str, Any]:
    """Train the full category model (with the second reading) behind the quick one `make run` trained,
    install it and record its cross-validated figures; nothing when the installed model is full already."""
    return category_model_improve()
