"""Background tasks of the API (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task

from xinfang.api.services import idempotency_keys_purge


@task
def idempotency_purge() -> dict[str, int]:
    """Delete the idempotency keys older than API_IDEMPOTENCY_HOURS."""
    return {"deleted": idempotency_keys_purge()}
