"""Reads. `petition_visibility` is the one rule that decides which petitions a user may see, built on
the units and regions the user reaches (xinfang.org.scope) and the Art. 30 rule (`accused_of`); every
list, page, export, statistic and API goes through `petition_list_for`."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from xinfang.org.models import UnitKind, User
from xinfang.org.roles import (
    ROLES_WHO_HANDLE_ACCUSATIONS,
    ROLES_WHO_REVEAL_PERSONAL_DATA,
    administers,
)
from xinfang.org.scope import scope_for
from xinfang.petitions.crypto import id_number_normalise, lookup_digest, phone_normalise
from xinfang.petitions.models import CoHandling, Kind, Petition, Petitioner


def accused_of(user: User) -> Q:
    """Accusations against the user or the user's unit (Art. 30: never shown to them). Also the rule of
    the pre-aggregated statistics (xinfang.assessment.selectors), whose rows carry the same three fields."""
    return Q(kind=Kind.ACCUSATION) & accusation_against(user)


def accusation_against(user: User) -> Q:
    """accused_of without the kind: for rows whose accused fields only an accusation fills (the
    dashboard's roll-ups, which have no kind)."""
    return Q(accused_user_id=user.pk) | Q(accused_unit_id=user.unit_id) if user.unit_id else Q(accused_user_id=user.pk)


# An accusation whose accused are only proposed (accused_confirmed False) is seen, besides by discipline
# inspection, by the staff of the unit that holds it who handle accusations (ROLES_WHO_HANDLE_ACCUSATIONS:
# the bureau staff of the bureau that received it, or the handlers of the body it went to because it
# accuses the bureau), never by its clerks, leaders, supervisors or administrators (Art. 30).


def unconfirmed_accusation() -> Q:
    return Q(kind=Kind.ACCUSATION, accused_confirmed=False)


def _unconfirmed_reach(user: User) -> Q | None:
    """The unconfirmed accusations `user` may see among those the rest of the rule lets through, as a
    filter; None: every one of them (the user handles accusations in the unit that holds them, or is
    discipline inspection, which sees every one placed in its region)."""
    if user.unit_id is not None and user.unit.kind == UnitKind.DISCIPLINE:
        return None
    if user.role in ROLES_WHO_HANDLE_ACCUSATIONS:
        return Q(owner_unit_id=user.unit_id)
    return Q(pk__in=[])


def petition_visibility(user: User) -> Q:
    """The petitions `user` may see, as a filter.

    What the user's scope reaches (xinfang.org.scope): everything for an administrator; for bureau
    staff, leaders and supervisors everything placed in their unit's region subtree; and for everyone
    with a unit whatever their unit owns, registered or co-handles. In every case an accusation is
    hidden from the unit and the official it accuses (Art. 30), and one whose accused are not yet
    confirmed from everyone but the staff who handle accusations where it is held and discipline
    inspection of its region (which sees them all: it handles accusations, Art. 30).
    """
    scope = scope_for(user)
    if scope.everything:
        return ~accused_of(user) & ~unconfirmed_accusation()
    if scope.nothing:
        return Q(pk__in=[])
    own = scope.own_or_region_q(
        Q(owner_unit_id=scope.unit_id)
        | Q(registering_unit_id=scope.unit_id)
        | Q(Exists(CoHandling.objects.filter(petition=OuterRef("pk"), unit_id=scope.unit_id)))
    )
    reach = _unconfirmed_reach(user)
    if reach is None:  # discipline inspection
        own |= unconfirmed_accusation() & Q(region__prefix__startswith=user.unit.region.prefix)
        return own & ~accused_of(user)
    return own & ~accused_of(user) & (~unconfirmed_accusation() | reach)


def petition_owned_list_for(user: User) -> QuerySet[Petition]:
    """What the user's unit owns and the user may see: `petition_list_for(user)` narrowed to
    owner_unit = the user's unit, written without the other branches of the rule (every user sees
    what their unit owns, but for accusations against them), so that a work queue is one index
    range. tests/workbench/test_queue.py checks that the two agree."""
    if not user.is_authenticated or not user.is_active or user.unit_id is None:
        return Petition.objects.none()
    owned = Q(owner_unit_id=user.unit_id) & ~accused_of(user)
    if _unconfirmed_reach(user) is None or user.role in ROLES_WHO_HANDLE_ACCUSATIONS:
        return Petition.objects.filter(owned)
    return Petition.objects.filter(owned & ~unconfirmed_accusation())


def petition_list_for(user: User) -> QuerySet[Petition]:
    return Petition.objects.filter(petition_visibility(user))


def petition_get_for(user: User, pk: int) -> Petition:
    """The petition if `user` may see it; Petition.DoesNotExist otherwise (same answer as missing)."""
    return petition_list_for(user).get(pk=pk)


def petition_is_visible(user: User, petition: Petition) -> bool:
    return petition_list_for(user).filter(pk=petition.pk).exists()


def may_reveal_personal_data(user: User, petition: Petition) -> bool:
    """The one rule of who may reveal a petitioner's personal data on `petition` (which the caller has
    already found through petition_list_for): administrators, and the staff who contact petitioners
    (registration clerk, bureau staff, unit handler, unit head) of the unit that owns the petition or
    registered it. Not leaders or supervisors (they oversee; they do not call petitioners), not
    co-handling units, not a unit the petition has moved on from. No query: the petition's unit ids and
    the user's role and unit. API clients: their personal:read scope decides instead."""
    if not user.is_authenticated or not user.is_active:
        return False
    if administers(user):
        return True
    return (
        user.role in ROLES_WHO_REVEAL_PERSONAL_DATA
        and user.unit_id is not None
        and user.unit_id in (petition.owner_unit_id, petition.registering_unit_id)
    )


# ---------------------------------------------------------------- registration desk: earlier petitioners

LOOKUP_PEOPLE = 10  # petitioners shown at most
LOOKUP_PETITIONS = 30  # of their petitions, newest first
LOOKUP_PER_PERSON = 10


class PetitionerMatch:
    """An earlier petitioner found by the desk's lookup, with what matched and their petitions (the
    person's phone, ID number and address are shown masked: `person.phone_masked` …)."""

    def __init__(self, person, matched_on: tuple[str, ...], petitions: list[Petition]) -> None:
        self.person, self.matched_on, self.petitions = person, matched_on, petitions


def petitioner_lookup_for(user: User, *, name: str = "", phone: str = "", id_number: str = "") -> list[PetitionerMatch]:
    """Earlier petitioners whose exact name, phone number or ID number is what the clerk typed, each
    with their petitions that `user` may see (people with none are not shown), those matching more
    of the three first. Bounded: LOOKUP_PEOPLE people, LOOKUP_PETITIONS petitions.

    The one place where personal data is matched: equality on indexed columns (never a LIKE scan);
    phone and ID number, encrypted at rest, by their keyed hashes (crypto.lookup_digest).
    """
    from django.db.models import Case, F, IntegerField, Value, When

    name, phone, id_number = name.strip(), phone_normalise(phone), id_number_normalise(id_number)
    typed = {
        "name": name if len(name) >= 2 else "",
        "phone": phone if len(phone) >= 7 else "",
        "id_number": id_number if len(id_number) in (15, 18) else "",
    }
    # what each typed key is compared with: the name itself, the digests of phone and ID number
    keys = {
        k if k == "name" else f"{k}_digest": v if k == "name" else lookup_digest(k, v) for k, v in typed.items() if v
    }
    if not keys:
        return []
    weight = {"id_number_digest": 4, "phone_digest": 4, "name": 1}
    visible = petition_list_for(user).filter(parties__petitioner_id=OuterRef("pk"))
    # per key, the latest LOOKUP_PEOPLE people with a visible petition: a backward scan of the key's
    # index that stops there (a common name does not make every namesake's petitions be read)
    any_key = Q()
    for k, v in keys.items():
        latest = (
            Petitioner.objects.filter(**{k: v}).filter(Exists(visible)).order_by("-pk").values("pk")[:LOOKUP_PEOPLE]
        )
        any_key |= Q(pk__in=latest)
    score = sum(
        (
            Case(When(**{k: v}, then=Value(weight[k])), default=Value(0), output_field=IntegerField())
            for k, v in keys.items()
        ),
        Value(0),
    )
    people = list(Petitioner.objects.filter(any_key).annotate(score=score).order_by("-score", "-pk")[:LOOKUP_PEOPLE])
    if not people:
        return []
    rows = list(
        petition_list_for(user)
        .filter(parties__petitioner_id__in=[p.pk for p in people])
        .annotate(person_id=F("parties__petitioner_id"))
        .select_related("owner_unit")
        .only("pk", "query_code", "title", "received_at", "state", "owner_unit__name")
        .order_by("-received_at", "-pk")[:LOOKUP_PETITIONS]
    )
    by_person: dict[int, list[Petition]] = {p.pk: [] for p in people}
    for row in rows:
        if len(by_person[row.person_id]) < LOOKUP_PER_PERSON:
            by_person[row.person_id].append(row)
    return [
        PetitionerMatch(
            p, tuple(k.removesuffix("_digest") for k, v in keys.items() if getattr(p, k) == v), by_person[p.pk]
        )
        for p in people
    ]
