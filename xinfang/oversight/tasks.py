"""Background tasks of oversight (django.tasks; run by the schedule, xinfang.schedule)."""

from django.tasks import task

from xinfang.oversight import hot
from xinfang.oversight.autorules import rules_apply


@task
def supervision_rules_apply() -> dict[str, int]:
    """Put the open petitions the automatic supervision rules match on the supervision list."""
    return rules_apply()


@task
def hot_issues_build() -> dict[str, int]:
    """Find and store the hot issues of the last hot.PERIOD_DAYS days (发现热点问题)."""
    result = hot.hot_issues_build()
    return {"petitions": result.petitions, "groups": result.groups, "kept": result.kept, "deleted": result.deleted}
