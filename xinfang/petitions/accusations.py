"""Accusations (检举控告, Regulations on Petition Work, art. 30): whom an accusation accuses, and where
one against the unit holding it goes instead. Registration and routing check the rule here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from xinfang.org.models import Unit, UnitKind, User
from xinfang.petitions.errors import WorkflowError
from xinfang.petitions.models import Kind, Petition


def accusation_accuses(petition: Petition, unit: Unit) -> bool:
    """Whether `petition` is an accusation against `unit` or against a member of it (the accused
    official's unit now, which may not be the one recorded when it was registered)."""
    if petition.kind != Kind.ACCUSATION:
        return False
    if petition.accused_unit_id == unit.pk:
        return True
    return bool(petition.accused_user_id) and User.objects.filter(pk=petition.accused_user_id, unit_id=unit.pk).exists()


def _check_not_accused(petition: Petition, unit: Unit) -> None:
    """Art. 30: an accusation never goes to the unit accused, nor to the accused official's unit
    (registration records that unit as accused too)."""
    if accusation_accuses(petition, unit):
        raise WorkflowError(
            _(
                "An accusation never goes to the unit it accuses or to the accused official’s unit (%(unit)s) "
                "(Regulations on Petition Work, art. 30)."
            )
            % {"unit": unit.name}
        )


def _co_handling_refusal() -> str:
    return _(
        "An accusation is never co-handled by the unit it accuses or by the accused official’s unit "
        "(Regulations on Petition Work, art. 30)."
    )


def accusation_receiver(unit: Unit, accused_units: set[int]) -> Unit | None:
    """Where an accusation against `unit` itself goes (Art. 30: discipline inspection or the competent
    body): the discipline inspection unit of its region or the nearest one above, else its next-higher
    unit; never a unit that is accused too. None if there is neither."""
    from xinfang.org.selectors import unit_list_active

    prefix = unit.region.prefix
    discipline = [
        u
        for u in unit_list_active()
        if u.kind == UnitKind.DISCIPLINE and u.pk not in accused_units and prefix.startswith(u.region.prefix)
    ]
    if discipline:
        return max(discipline, key=lambda u: len(u.region.prefix))
    parent = unit.parent
    return parent if parent is not None and parent.is_active and parent.pk not in accused_units else None


def _accusation_received_against(unit: Unit, accused_units: set[int]) -> Unit:
    receiver = accusation_receiver(unit, accused_units)
    if receiver is None:
        raise WorkflowError(
            _(
                "An accusation against %(unit)s goes to discipline inspection or to the unit above, but neither "
                "is set (Regulations on Petition Work, art. 30). Ask an administrator to set the discipline "
                "inspection body or the unit above in the unit settings."
            )
            % {"unit": unit.name}
        )
    return receiver


def _accused_data(p: Petition, **more: Any) -> dict[str, Any]:
    """What the event records of an accusation's accused (nothing for other kinds)."""
    if p.kind != Kind.ACCUSATION:
        return {}
    data = {
        "accused_unit": p.accused_unit_id,
        "accused_user": p.accused_user_id,
        "accused_name": p.accused_name,
        "accused_confirmed": p.accused_confirmed,
    }
    return data | {k: v for k, v in more.items() if v is not None}
