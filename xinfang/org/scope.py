"""The one scope rule: which units and regions a user reaches (`scope_for(user)`).

- An inactive or anonymous user, or one without a unit who is no administrator: nothing.
- An administrator (the role, or a superuser): every unit and every region.
- Bureau staff, leaders and supervisors (roles.ROLES_WHO_REACH_THEIR_REGION): their own unit, and every
  unit and region in the subtree of their unit's region (a county bureau its county, the city bureau
  the city).
- Everyone else: their own unit, and no region.

Every surface (petitions, statistics, reports, supervision, the ranking's notices, the API) filters its
rows with the Scope, naming its own unit and region fields: org knows nothing of the tables above it.
What a surface adds to the reach (a petition's co-handling units, the Art. 30 rule that an accusation
never reaches the accused: petitions.selectors.accused_of) stays with that surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Manager, Model, Q, QuerySet

from xinfang.org.models import Region, Unit, User
from xinfang.org.roles import ROLES_WHO_REACH_THEIR_REGION, administers

M = TypeVar("M", bound=Model)


def _nothing() -> Q:
    return Q(pk__in=[])


def _path(field: str, lookup: str) -> str:
    """`lookup` on the model `field` names ("" : the queryset's own model)."""
    return f"{field}__{lookup}" if field else lookup


def _id(field: str) -> str:
    return f"{field}_id" if field else "pk"


@dataclass(frozen=True)
class Scope:
    """What one user reaches. `everything`: every unit and region; else `unit_id`, their own unit (None:
    nothing at all), and `region_prefix`, the region subtree they reach (None: no region)."""

    everything: bool = False
    unit_id: int | None = None
    region_prefix: str | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.unit_id is None

    @property
    def reaches_regions(self) -> bool:
        """Whether the user reaches any region (a whole area), not only their own unit."""
        return self.everything or self.region_prefix is not None

    def reaches_unit(self, unit: Unit) -> bool:
        """Whether `unit` is reached (its region is read only for a user who reaches a region)."""
        if self.everything:
            return True
        if self.unit_id is None:
            return False
        if unit.pk == self.unit_id:
            return True
        return self.region_prefix is not None and unit.region.prefix.startswith(self.region_prefix)

    def reaches_region(self, region: Region) -> bool:
        if self.everything:
            return True
        return self.region_prefix is not None and region.prefix.startswith(self.region_prefix)

    def own_unit_q(self, field: str = "unit") -> Q:
        """Rows whose unit `field` is the user's own unit (none without one)."""
        return Q(**{_id(field): self.unit_id}) if self.unit_id is not None else _nothing()

    def region_q(self, field: str = "region") -> Q:
        """Rows placed (region `field`; "": rows of Region) in the region subtree the user reaches."""
        if self.everything:
            return Q()
        if self.region_prefix is None:
            return _nothing()
        return Q(**{_path(field, "prefix__startswith"): self.region_prefix})

    def unit_q(self, field: str = "unit") -> Q:
        """Rows whose unit `field` ("": rows of Unit) is reached: the own unit, or any unit placed in the
        region subtree the user reaches (which holds the own unit)."""
        if self.everything:
            return Q()
        if self.region_prefix is not None:
            return Q(**{_path(field, "region__prefix__startswith"): self.region_prefix})
        return self.own_unit_q(field)

    def own_or_region_q(self, own: Q, field: str = "region") -> Q:
        """`own` (the caller's rows of the user's own unit), and the rows placed in the region subtree
        the user reaches: every row for an administrator, none without a unit."""
        if self.everything:
            return Q()
        if self.unit_id is None:
            return _nothing()
        return own | self.region_q(field) if self.region_prefix is not None else own

    def units(self, qs: QuerySet[M] | Manager[M], field: str = "unit") -> QuerySet[M]:
        """`qs` narrowed to the rows whose unit `field` is reached (unit_q)."""
        return qs.filter(self.unit_q(field))

    def regions(self, qs: QuerySet[M] | Manager[M], field: str = "region") -> QuerySet[M]:
        """`qs` narrowed to the rows placed in the region subtree reached (region_q)."""
        return qs.filter(self.region_q(field))


def scope_for(user: User) -> Scope:
    """The units and regions `user` reaches (the rule in this module's docstring). No query when the
    user's unit and its region are loaded, as sign-in and the API load them."""
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if administers(user):
        return Scope(everything=True, unit_id=user.unit_id)
    if user.unit_id is None:
        return Scope()
    if user.role in ROLES_WHO_REACH_THEIR_REGION:
        return Scope(unit_id=user.unit_id, region_prefix=user.unit.region.prefix)
    return Scope(unit_id=user.unit_id)
