"""Reads. `petition_visibility` is the one rule that decides which petitions a user may see;
every list, page, export, statistic and API goes through `petition_list_for`."""
from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from xinfang.org.models import Role, User
from xinfang.petitions.models import CoHandling, Kind, Petition
from xinfang.petitions.workflow import OPEN_STATES

REGION_ROLES = frozenset({Role.BUREAU_STAFF, Role.LEADER, Role.SUPERVISOR})


def petition_visibility(user: User) -> Q:
    """The petitions `user` may see, as a filter.

    Administrator: all. Bureau staff, leaders, supervisors: everything placed in their unit's region
    subtree, and whatever their unit owns, registered or co-handles. Everyone else: what their unit
    owns, registered or co-handles. In every case an accusation is hidden from the unit and the
    official it accuses (Art. 30).
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    accused = Q(kind=Kind.ACCUSATION) & (Q(accused_user_id=user.pk) | Q(accused_unit_id=user.unit_id)
                                         if user.unit_id else Q(accused_user_id=user.pk))
    if user.role == Role.ADMIN or user.is_superuser:
        return ~accused
    if user.unit_id is None:
        return Q(pk__in=[])
    own = (Q(owner_unit_id=user.unit_id) | Q(registering_unit_id=user.unit_id)
           | Q(Exists(CoHandling.objects.filter(petition=OuterRef("pk"), unit_id=user.unit_id))))
    if user.role in REGION_ROLES:
        own |= Q(region__prefix__startswith=user.unit.region.prefix)
    return own & ~accused


def petition_list_for(user: User) -> QuerySet[Petition]:
    return Petition.objects.filter(petition_visibility(user))


def petition_get_for(user: User, pk: int) -> Petition:
    """The petition if `user` may see it; Petition.DoesNotExist otherwise (same answer as missing)."""
    return petition_list_for(user).get(pk=pk)


def petition_is_visible(user: User, petition: Petition) -> bool:
    return petition_list_for(user).filter(pk=petition.pk).exists()


def work_queue_for(user: User, *, page: int = 1, per_page: int = 50) -> list[Petition]:
    """The open petitions the user's unit owns, earliest due date first, undated ones last.

    Dated rows come from one range scan of the (owner_unit, due_on) index. They are asked for
    apart from the undated ones because SQLite sorts NULL first, and a unit's closed petitions
    (due_on NULL) would otherwise be read before its first open one. A second query runs only on
    the page where the dated rows end.
    """
    if user.unit_id is None:
        return []
    base = (petition_list_for(user).filter(owner_unit_id=user.unit_id, state__in=OPEN_STATES)
            .select_related("category", "region"))
    start, stop = (page - 1) * per_page, page * per_page
    dated = list(base.filter(due_on__isnull=False).order_by("due_on", "-priority", "pk")[start:stop])
    if len(dated) == per_page:
        return dated
    # the undated rows continue where the dated ones ended
    undated_start = 0 if dated else max(0, start - base.filter(due_on__isnull=False).count())
    undated = base.filter(due_on__isnull=True).order_by("-priority", "pk")
    return dated + list(undated[undated_start:undated_start + per_page - len(dated)])
