"""The petition (信访事项), its petitioners, deadlines and append-only event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xinfang.org.models import Region, Unit
from xinfang.petitions import masking, rules
from xinfang.petitions.crypto import DigestField, EncryptedTextField
from xinfang.petitions.search_field import SearchTermsField


class Channel(models.TextChoices):
    LETTER = "letter", _("letter")
    VISIT = "visit", _("visit")
    PHONE = "phone", _("phone")
    WEB = "web", _("web")
    WECHAT = "wechat", _("WeChat")
    MAILBOX = "mailbox", _("leader's mailbox")
    FAX = "fax", _("fax")


class Kind(models.TextChoices):
    SUGGESTION = "suggestion", _("suggestion")
    ACCUSATION = "accusation", _("accusation")
    CLAIM = "claim", _("claim")


class Priority(models.IntegerChoices):
    # higher number sorts first: 要事先办、急事急办、特事特办
    ORDINARY = 0, _("ordinary")
    IMPORTANT = 1, _("important")
    URGENT = 2, _("urgent")
    SPECIAL = 3, _("special")


class State(models.TextChoices):
    REGISTERED = "registered", _("registered")
    FORWARDED = "forwarded", _("forwarded")
    ASSIGNED = "assigned", _("assigned")
    ACCEPTED = "accepted", _("being handled")
    DECIDED = "decided", _("decided")
    EVALUATED = "evaluated", _("evaluated")
    REVIEW_REQUESTED = "review_requested", _("under review")
    REVIEWED = "reviewed", _("reviewed")
    REEXAMINATION_REQUESTED = "reexamination_requested", _("under reexamination")
    REEXAMINED = "reexamined", _("reexamined")
    DECLINED = "declined", _("declined")
    REDIRECTED = "redirected", _("redirected to legal channels")
    CLOSED = "closed", _("closed")


class Category(models.Model):
    """A node of the configurable subject tree (内容分类)."""

    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    path = models.CharField(_("full name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.path


# what workflow.TERMINAL holds (tests/workbench/test_queue.py checks), for the index of the concluded tab
CONCLUDED_STATES = (State.CLOSED, State.DECLINED, State.REDIRECTED)
# the open states in the order the work queues name them (selectors.OPEN), for the open queues' index:
# a partial index serves a query only while the query's condition is the index's own
OPEN_STATES_SORTED = tuple(sorted(s for s in State.values if s not in CONCLUDED_STATES))


class Petitioner(models.Model):
    """A person who brings petitions. ID number, phone and address are encrypted at rest (crypto.py);
    the registration desk and the portal find a person by the keyed hashes of phone and ID number
    (selectors.petitioner_lookup_for, portal.selectors.petition_find_for_petitioner). Shown masked
    (`*_masked`) unless selectors.may_reveal_personal_data allows the full value."""

    # name and the digests are indexed for the registration desk's lookup (selectors.petitioner_lookup_for)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    id_number = EncryptedTextField(_("ID number"), max_length=18, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=20, blank=True)
    address = EncryptedTextField(_("address"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_default="")  # db_default: the generator inserts raw rows
    id_number_digest = DigestField(source="id_number", kind="id_number", db_index=True)
    phone_digest = DigestField(source="phone", kind="phone", db_index=True)

    class Meta:
        verbose_name = _("petitioner")
        verbose_name_plural = _("petitioners")

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return masking.mask_phone(self.phone)

    @property
    def id_number_masked(self) -> str:
        return masking.mask_id_number(self.id_number)

    @property
    def address_masked(self) -> str:
        return masking.mask_address(self.address)


class Petition(models.Model):
    query_code = models.CharField(_("query code"), max_length=12, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.ForeignKey(Category, models.PROTECT, null=True, blank=True, verbose_name=_("category"))
    # covered by petition_region_idx (region, received_at): no index of its own
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("place"), db_index=False)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    received_at = models.DateTimeField(_("received at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registering_unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("registering unit"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.ORDINARY)
    headcount = models.PositiveIntegerField(_("number of people"), default=1)
    petitioners = models.ManyToManyField(
        Petitioner, through="PetitionParty", related_name="petitions", verbose_name=_("petitioners")
    )
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("earlier petitions on the same matter")
    )
    accused_unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("accused unit"), db_index=False
    )
    accused_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accused official (user)"),
        db_index=False,
    )
    accused_name = models.CharField(_("accused person"), max_length=100, blank=True)
    # False while the accused unit and person are only proposed from the text (portal, API, Open311):
    # until the bureau confirms them, only the staff who handle accusations see it (Art. 30)
    accused_confirmed = models.BooleanField(_("accused confirmed"), default=True, db_default=True)

    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.REGISTERED)
    # covered by petition_queue_idx (owner_unit, due_on, …)
    owner_unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="owned_petitions", verbose_name=_("owning (lead) unit"), db_index=False
    )
    routed_by_unit = models.ForeignKey(
        Unit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forwarded or assigned by"),
        db_index=False,
    )
    due_on = models.DateField(_("next due date"), null=True, blank=True)
    redirect_channel = models.CharField(_("legal channel"), max_length=20, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=40, blank=True)

    log_seq = models.PositiveIntegerField(default=0, editable=False)
    log_head = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # PostgreSQL: the full-text search terms, GIN-indexed (xinfang.petitions.search); NULL on SQLite
    search_vector = SearchTermsField(null=True, editable=False)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        indexes = [
            # a unit's queue by due date, in the order the page shows it: the first page is read from
            # the index's start and the scan stops after one page (PostgreSQL: without the rows)
            models.Index(
                fields=["owner_unit", "due_on", "-priority", "id"],
                include=["state", "kind", "accused_unit", "accused_user", "accused_confirmed"],
                name="petition_queue_idx",
            ),
            # a unit's queue: counted per tab, filtered and sorted to the ids of one page without
            # reading the rows (workbench.selectors.queue_tab_counts and queue_page)
            models.Index(
                fields=[
                    "owner_unit",
                    "state",
                    "due_on",
                    "priority",
                    "received_at",
                    "kind",
                    "channel",
                    "region",
                    "category",
                    "accused_unit",
                    "accused_user",
                    "accused_confirmed",
                ],
                include=["id"],  # PostgreSQL: counts and page ids by index-only scans (SQLite has the rowid)
                name="petition_unit_state_idx",
            ),
            models.Index(fields=["owner_unit", "received_at"], name="petition_unit_received_idx"),
            # the "concluded" tab, newest first: its page read from the index's end (without it,
            # PostgreSQL walked the newest petitions, open ones, until it found fifty concluded)
            models.Index(
                fields=["owner_unit", "received_at", "id"],
                name="petition_unit_concluded_idx",
                condition=models.Q(state__in=CONCLUDED_STATES),
            ),
            # a unit's open petitions (the open tabs; a sixth of a large county's unit's rows): a filtered
            # count, a filtered page and a search's second bitmap read only these, from the index alone
            # (PostgreSQL: without it a filter or search read all the unit's petitions, 150,000 at 1M)
            models.Index(
                fields=["owner_unit", "due_on", "-priority", "id"],
                name="petition_open_queue_idx",
                include=[
                    "state",
                    "channel",
                    "kind",
                    "region",
                    "category",
                    "received_at",
                    "accused_unit",
                    "accused_user",
                    "accused_confirmed",
                ],
                condition=models.Q(state__in=OPEN_STATES_SORTED),
            ),
            models.Index(fields=["state", "due_on"], name="petition_state_due_idx"),
            models.Index(fields=["region", "received_at"], name="petition_region_idx"),
            models.Index(fields=["received_at"], name="petition_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.query_code} {self.title}"

    @property
    def is_collective(self) -> bool:
        return self.headcount >= rules.COLLECTIVE_VISIT_MIN_PEOPLE


class PetitionParty(models.Model):
    petition = models.ForeignKey(Petition, models.CASCADE, related_name="parties")
    petitioner = models.ForeignKey(Petitioner, models.PROTECT, related_name="parties")
    is_representative = models.BooleanField(_("representative"), default=False)

    class Meta:
        verbose_name = _("petitioner of a petition")
        verbose_name_plural = _("petitioners of a petition")
        constraints = [models.UniqueConstraint(fields=["petition", "petitioner"], name="party_unique")]


class CoHandling(models.Model):
    """A co-handling unit of a joint-handling petition (协商会办), with its own part."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="co_handlers")
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="co_handled")
    part = models.CharField(_("its part"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("co-handling unit")
        verbose_name_plural = _("co-handling units")
        constraints = [models.UniqueConstraint(fields=["petition", "unit"], name="cohandling_unique")]


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"petitions/{instance.petition_id}/{filename}"


class Attachment(models.Model):
    """A scanned letter, photo or office file of a petition, kept under MEDIA_ROOT (never served
    directly: only the workbench's download view, after the visibility check, reads it).
    Written only by registration.petition_register and registration.attachment_add (type checked by content)."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("name"), max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("uploaded by")
    )
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("file type"), max_length=100, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class DecisionStage(models.TextChoices):
    HANDLING = "handling", _("handling opinion")
    REVIEW = "review", _("review opinion")
    REEXAMINATION = "reexamination", _("reexamination opinion")


class Outcome(models.TextChoices):
    SUPPORT = "support", _("support")
    EXPLAIN = "explain", _("explain")
    NOT_SUPPORT = "not_support", _("not support")


class Measure(models.TextChoices):
    """三到位一处理: which of the four applies."""

    RESOLVED = "resolved", _("reasonable claim resolved")
    EXPLAINED = "explained", _("unreasonable claim explained")
    ASSISTED = "assisted", _("hardship assisted")
    LAW = "law", _("unlawful conduct handled by law")


class Decision(models.Model):
    petition = models.ForeignKey(Petition, models.CASCADE, related_name="decisions")
    stage = models.CharField(_("stage"), max_length=16, choices=DecisionStage.choices)
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="+", verbose_name=_("deciding unit"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    measure = models.CharField(_("三到位一处理"), max_length=12, choices=Measure.choices)
    text = models.TextField(_("text"))
    decided_on = models.DateField(_("decided on"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class Evaluation(models.Model):
    petition = models.ForeignKey(Petition, models.CASCADE, related_name="evaluations")
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices)
    reason = models.TextField(_("reason"), blank=True)
    evaluated_on = models.DateField(_("evaluated on"))

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")


class DeadlineKind(models.TextChoices):
    INTAKE = "intake", _("route after registration")
    ACCEPTANCE = "acceptance", _("tell the petitioner whether accepted")
    OBJECTION = "objection", _("return if not competent")
    ASSIGNMENT_REPORT = "assignment_report", _("report the result of an assignment")
    HANDLING = "handling", _("handling")
    REVIEW_REQUEST = "review_request", _("petitioner may request review")
    REVIEW_ANSWER = "review_answer", _("answer the review")
    REEXAMINATION_REQUEST = "reexamination_request", _("petitioner may request reexamination")
    REEXAMINATION_ANSWER = "reexamination_answer", _("answer the reexamination")


class Deadline(models.Model):
    """One legal or assigned time limit of one petition. `due_on` is computed by xinfang.petitions.deadlines."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=24, choices=DeadlineKind.choices)
    unit = models.ForeignKey(
        Unit, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit that must meet it")
    )
    start_on = models.DateField(_("counted from"))
    period_days = models.PositiveSmallIntegerField(_("period"))
    working_days = models.BooleanField(_("in working days"), default=False)
    roll_over = models.BooleanField(_("moves past a holiday"), default=True)
    article = models.CharField(_("legal basis"), max_length=100, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("extension"), default=0)
    extension_reason = models.CharField(_("reason for extension"), max_length=200, blank=True)
    paused_days = models.PositiveSmallIntegerField(_("days paused"), default=0)
    paused_since = models.DateField(_("paused since"), null=True, blank=True)
    due_on = models.DateField(_("due on"), db_index=True)
    is_open = models.BooleanField(_("open"), default=True)
    met_on = models.DateField(_("met on"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [models.Index(fields=["is_open", "due_on"], name="deadline_open_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"


class LegalPeriod(models.Model):
    """A county's setting for one period of rules.PERIODS (days, calendar or working days)."""

    key = models.CharField(_("period"), max_length=32, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))
    working_days = models.BooleanField(_("in working days"))
    roll_over = models.BooleanField(_("a period ending on a holiday moves to the next working day"), default=True)
    article = models.CharField(_("legal basis"), max_length=100)

    class Meta:
        verbose_name = _("legal period")
        verbose_name_plural = _("legal periods")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.days}"


class Event(models.Model):
    """One append-only row of a petition's hash-chained history."""

    petition = models.ForeignKey(Petition, models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100)
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [models.UniqueConstraint(fields=["petition", "seq"], name="event_seq_unique")]
        ordering = ["petition_id", "seq"]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise ValueError("the event log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("the event log is append-only")


class AlertKind(models.TextChoices):
    DUE_SOON = "due_soon", _("deadline near")
    OVERDUE = "overdue", _("deadline passed")


class StaffAlert(models.Model):
    """A deadline alert (期限提醒) to one handler or head of the unit that must meet the deadline, written by
    petitions.alerts with the deadline's warning or overdue flag: shown in the workbench, e-mailed where
    configured (notify.tasks.staff_alerts_email). One per deadline, kind and person."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="alerts", verbose_name=_("recipient")
    )
    deadline = models.ForeignKey(Deadline, models.CASCADE, related_name="alerts", verbose_name=_("deadline"))
    petition = models.ForeignKey(Petition, models.CASCADE, related_name="+", verbose_name=_("petition"))
    kind = models.CharField(_("kind"), max_length=8, choices=AlertKind.choices)
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline alert")
        verbose_name_plural = _("deadline alerts")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "deadline", "kind"], name="staff_alert_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="staff_alert_recipient_idx"),
            models.Index(fields=["emailed_at", "created_at"], name="staff_alert_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"
