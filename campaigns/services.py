"""Writes to campaigns: create, update (limited by status), and the lifecycle actions. Every
status change goes through `_campaign_transition`, which applies the lifecycle table
(campaigns/lifecycle.py) to the locked row, saves and audit-logs. Pages, API, admin and commands
all call these; none writes a campaign itself.

Errors: `django.core.exceptions.ValidationError` by field (bad values, fields the status does
not let change, activation problems), `lifecycle.TransitionError` (a ValueError) for an action
the status does not allow. The API turns the first into 400 `{field: [...]}`, the second into
400 `{"detail": ...}`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns import lifecycle
from campaigns.contact_states import ContactState, dialable_q
from campaigns.languages import Language
from campaigns.models import Campaign, CampaignStatus, Question
from campaigns.questionnaire import (
    QuestionSpec,
    question_from_data,
    questionnaire_problems,
    script_problems,
)
from campaigns.selectors import campaign_questionnaire, campaign_questionnaire_data
from voicesurvey.models import User
from voicesurvey.services import audit_log_record

# Everything a person may set on a campaign; status and history are the system's.
CAMPAIGN_FIELDS = (
    "name",
    "description",
    "language",
    "timezone",
    "languages",
    "texts",
    "max_attempts",
    "retry_interval_minutes",
    "call_window_start",
    "call_window_end",
    "call_days",
    "starts_at",
    "budget",
    "completed_email_template",
    "refused_email_template",
    "not_reached_email_template",
)


def _campaign_transition(
    *, campaign: Campaign, action: str, actor: User | None, details: dict | None = None
) -> Campaign:
    """Move the campaign by `action`; TransitionError (a ValueError) when not allowed.
    The row is locked first, so two concurrent actions cannot both apply."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    previous = locked.status
    locked.status = lifecycle.next_status(previous, action)
    locked.save(update_fields=["status", "updated_at"])
    audit_log_record(
        actor=actor,
        action=f"campaign.{action}",
        obj=locked,
        details={"from": previous, "to": locked.status, **(details or {})},
    )
    campaign.status, campaign.updated_at = locked.status, locked.updated_at
    return campaign


def _campaign_validate(campaign: Campaign) -> None:
    """Every field problem at once, by field. The window's order is checked here rather than
    left to the table constraint, whose error Django reports for no field in particular."""
    errors: dict[str, list[str]] = {}
    campaign.languages = campaign.languages or []
    campaign.texts = campaign.texts or {}
    try:
        campaign.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
    start, end = campaign.call_window_start, campaign.call_window_end
    if (
        "call_window_start" not in errors
        and "call_window_end" not in errors
        and start is not None
        and end is not None
        and start >= end
    ):
        errors["call_window_end"] = ["The call window must end after it starts."]
    for field, messages in script_problems(
        language=campaign.language,
        languages=campaign.languages,
        texts=campaign.texts,
        known_languages=Language.values,
        require_texts=False,
    ).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    campaign.validate_constraints()


def _questions_parse(questions: Sequence[Any], campaign: Campaign) -> list[QuestionSpec]:
    """The questionnaire sent (the JSON shape of campaigns/questionnaire.py), checked as a draft
    may be: its structure complete, its texts not yet in every language."""
    if not isinstance(questions, list | tuple) or not all(
        isinstance(q, Mapping) for q in questions
    ):
        raise ValidationError({"questions": ["A list of questions (objects)."]})
    try:
        specs = [question_from_data(data) for data in questions]
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValidationError({"questions": [f"A question is malformed: {exc}"]}) from exc
    try:
        problems = questionnaire_problems(
            specs, languages=campaign.survey_languages, require_texts=False
        )
    except (TypeError, ValueError, AttributeError) as exc:  # a text that is not a string…
        raise ValidationError({"questions": [f"A question is malformed: {exc}"]}) from exc
    if problems:
        raise ValidationError(problems)
    return specs


def campaign_check(
    *, campaign: Campaign, fields: Mapping[str, Any], questions: Sequence[Any] | None
) -> None:
    """What `campaign_create`/`campaign_update` would refuse in these fields and questions, as
    the same ValidationError, without saving (forms check before they save)."""
    draft = Campaign(
        **{f.attname: getattr(campaign, f.attname) for f in Campaign._meta.concrete_fields}
    )
    # The campaign itself when it exists, so that the uniqueness checks do not find it.
    draft._state.adding = campaign._state.adding
    for name, value in fields.items():
        setattr(draft, name, value)
    _campaign_validate(draft)
    if not draft.languages:  # as campaign_create defaults it
        draft.languages = [draft.language]
    if questions is not None:
        _questions_parse(questions, draft)


def _same_questionnaire(questions: Any, campaign: Campaign) -> bool:
    """Whether `questions` says what the campaign's questionnaire says (read back as it was
    sent is no change)."""
    try:
        sent = tuple(question_from_data(data) for data in questions)
    except (TypeError, ValueError, AttributeError, KeyError):
        return False
    return sent == campaign_questionnaire(campaign)


def _questions_save(campaign: Campaign, questions: Sequence[Mapping[str, Any]]) -> None:
    Question.objects.filter(campaign=campaign).delete()
    Question.objects.bulk_create(
        Question.from_data(campaign, position, data)
        for position, data in enumerate(questions, start=1)
    )


def _unknown_fields(fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - set(CAMPAIGN_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be set."] for name in unknown})


def _audit_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):  # a budget: JSON has no decimals, and floats round
        return str(value)
    if hasattr(value, "pk"):
        return str(value.pk)
    return value


@transaction.atomic
def campaign_create(
    *, actor: User | None, fields: Mapping[str, Any], questions: Sequence[Any] | None = None
) -> Campaign:
    """A new draft campaign from `fields` (names of CAMPAIGN_FIELDS; the rest keep their
    defaults) and, optionally, its questionnaire (campaigns/questionnaire.py's JSON shape)."""
    _unknown_fields(fields)
    campaign = Campaign(**fields, created_by=actor if actor and actor.is_authenticated else None)
    _campaign_validate(campaign)
    # Defaulted once the language is known to be valid: a bad `language` is one error, on the
    # field sent, not a second one on `languages`, which was not.
    if not campaign.languages:
        campaign.languages = [campaign.language]
    specs = _questions_parse(questions, campaign) if questions is not None else None
    campaign.save()
    if specs is not None:
        _questions_save(campaign, questions or ())
    audit_log_record(
        actor=actor,
        action="campaign.create",
        obj=campaign,
        details={"name": campaign.name, "questions": len(specs or ())},
    )
    return campaign


@transaction.atomic
def campaign_clone(*, campaign: Campaign, actor: User | None, name: str = "") -> Campaign:
    """A new draft with the campaign's script, questionnaire and settings, and no contacts
    (any status may be cloned). Named "<name> (copy)" unless `name` is given; a past
    `starts_at` is not copied (activating the copy would start it at once anyway)."""
    fields = {field: getattr(campaign, field) for field in CAMPAIGN_FIELDS}
    fields["name"] = (name or f"{campaign.name} (copy)")[
        : Campaign._meta.get_field("name").max_length
    ]
    if campaign.starts_at and campaign.starts_at <= timezone.now():
        fields["starts_at"] = None
    questions = campaign_questionnaire_data(campaign)
    clone = campaign_create(actor=actor, fields=fields, questions=questions or None)
    audit_log_record(
        actor=actor, action="campaign.clone", obj=clone, details={"from": str(campaign.pk)}
    )
    return clone


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: User | None,
    fields: Mapping[str, Any],
    questions: Sequence[Any] | None = None,
) -> Campaign:
    """Change `fields` of the campaign, as far as its status allows (docs/architecture.md §5: a
    draft or a scheduled campaign everything; a running or paused one its name, description, window
    and retry policy; a final one nothing). An activated campaign must still pass activation's
    checks afterwards, and fewer attempts on a live one end the contacts that have used them (not
    reached). A field given with its current value is no change, so a full representation of a
    running campaign may be sent back as it was read. `questions`, when given, replaces the
    questionnaire (like the script, only before activation)."""
    _unknown_fields(fields)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    changed = {
        name: value
        for name, value in fields.items()
        if getattr(locked, name if not name.endswith("_template") else f"{name}_id")
        != (value.pk if hasattr(value, "pk") else value)
    }
    if questions is not None and not _same_questionnaire(questions, locked):
        changed["questions"] = questions
    editable = lifecycle.editable_fields(locked.status)
    if editable is not None:
        frozen = sorted(name for name in changed if name not in editable)
        if frozen:
            reason = (
                f"A {locked.status} campaign cannot change."
                if not editable
                else f"Cannot be changed while the campaign is {locked.status}."
            )
            raise ValidationError({name: [reason] for name in frozen})
    if not changed:
        return locked
    new_questions = changed.pop("questions", None)
    lowered = "max_attempts" in changed and changed["max_attempts"] < locked.max_attempts
    for name, value in changed.items():
        setattr(locked, name, value)
    _campaign_validate(locked)
    specs = _questions_parse(new_questions, locked) if new_questions is not None else None
    if locked.status != CampaignStatus.DRAFT:
        # Activated: it must stay as activation found it (its contacts aside, which come and
        # go), or a scheduled campaign would start without a script, a running one without a
        # call day, and neither would ever dial.
        problems = lifecycle.activation_problems(
            locked,
            questions=specs if specs is not None else campaign_questionnaire(locked),
            has_dialable_contact=True,
        )
        if problems:
            raise ValidationError(problems)
    locked.save(update_fields=[*changed, "updated_at"])
    if specs is not None:
        _questions_save(locked, new_questions or ())
    if lowered and locked.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        for hook in _max_attempts_lowered_hooks:
            hook(campaign=locked)
    for name in (*changed, "updated_at"):
        setattr(campaign, name, getattr(locked, name))
    audit_log_record(
        actor=actor,
        action="campaign.update",
        obj=locked,
        details={
            "changed": {name: _audit_value(value) for name, value in changed.items()},
            **({"questions": len(specs)} if specs is not None else {}),
        },
    )
    return locked


def campaign_has_dialable_contact(campaign: Campaign) -> bool:
    return campaign.contacts.filter(dialable_q(max_attempts=campaign.max_attempts)).exists()


def campaign_activation_problems(*, campaign: Campaign) -> dict[str, list[str]]:
    """What stops the campaign from being activated, field by field; empty when nothing."""
    return lifecycle.activation_problems(
        campaign,
        questions=campaign_questionnaire(campaign),
        has_dialable_contact=campaign_has_dialable_contact(campaign),
    )


@transaction.atomic
def campaign_activate(
    *, campaign: Campaign, actor: User | None, now: dt.datetime | None = None
) -> Campaign:
    """Draft → running, or → scheduled when `starts_at` is still to come. Checks everything
    first and raises a ValidationError listing every problem by field."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    lifecycle.next_status(locked.status, "activate")  # the status allows it at all
    problems = campaign_activation_problems(campaign=locked)
    if problems:
        raise ValidationError(problems)
    now = now or timezone.now()
    action = "schedule" if locked.starts_at and locked.starts_at > now else "activate"
    return _campaign_transition(campaign=campaign, action=action, actor=actor)


def campaign_pause(
    *, campaign: Campaign, actor: User | None, reason: str = "", details: dict | None = None
) -> Campaign:
    """Running → paused: no new attempts; calls in flight finish. `reason` is the system's
    (PAUSE_REASON_BUDGET: the scheduler found the budget reached), kept with `details` in the
    audit entry, where the campaign page and the API read why it is paused
    (`campaign_pause_reason`)."""
    extra = {"reason": reason, **(details or {})} if reason else None
    with transaction.atomic():
        return _campaign_transition(campaign=campaign, action="pause", actor=actor, details=extra)


def campaign_resume(*, campaign: Campaign, actor: User | None) -> Campaign:
    with transaction.atomic():
        return _campaign_transition(campaign=campaign, action="resume", actor=actor)


def campaign_cancel(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Any status but a final one → cancelled (the API's DELETE). Calls in flight finish; no
    new ones start."""
    with transaction.atomic():
        return _campaign_transition(campaign=campaign, action="cancel", actor=actor)


class CampaignAction(Protocol):
    def __call__(self, *, campaign: Campaign, actor: User | None) -> Campaign: ...


CAMPAIGN_ACTIONS: dict[str, CampaignAction] = {
    "activate": campaign_activate,
    "pause": campaign_pause,
    "resume": campaign_resume,
    "cancel": campaign_cancel,
}


def campaign_start_due(*, now: dt.datetime | None = None) -> list[Campaign]:
    """Scheduled campaigns whose `starts_at` has come turn running. Returns those started."""
    now = now or timezone.now()
    started = []
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, starts_at__lte=now)
    for campaign in due:
        with transaction.atomic():
            try:
                started.append(_campaign_transition(campaign=campaign, action="start", actor=None))
            except lifecycle.TransitionError:
                continue  # changed (paused, cancelled) since we read it
    return started


def campaign_has_work_left(campaign: Campaign) -> bool:
    """Anyone left to dial or a call in flight: pending or in-progress contacts, or not-reached
    contacts with attempts left (after max_attempts was raised)."""
    return campaign.contacts.filter(
        Q(state__in=[ContactState.PENDING, ContactState.IN_PROGRESS])
        | Q(state=ContactState.NOT_REACHED, attempts_count__lt=campaign.max_attempts)
    ).exists()


@transaction.atomic
def campaign_complete_if_finished(*, campaign: Campaign) -> bool:
    """A running campaign with nothing left to dial and no call in flight turns completed."""
    if campaign.status != CampaignStatus.RUNNING or campaign_has_work_left(campaign):
        return False
    try:
        _campaign_transition(campaign=campaign, action="complete", actor=None)
    except lifecycle.TransitionError:
        return False
    return True


# --- what the engine does when a live campaign changes -------------------------------------------
#
# Fewer attempts on a running or paused campaign end its contacts that have used them up (not
# reached, with their follow-up), at once and in the same transaction. That is the engine's
# rule (calls/outcomes.py), and the engine sits above campaigns: it registers its reaction here
# at startup (CallsConfig.ready), and `campaign_update` calls it without importing calls.

MaxAttemptsLoweredHook = Callable[..., object]  # called as hook(campaign=…)
_max_attempts_lowered_hooks: list[MaxAttemptsLoweredHook] = []


def campaign_on_max_attempts_lowered(hook: MaxAttemptsLoweredHook) -> None:
    """Have `hook(campaign=…)` run, inside `campaign_update`'s transaction, whenever a running or
    paused campaign's max_attempts is lowered (once per hook, however often registered)."""
    if hook not in _max_attempts_lowered_hooks:
        _max_attempts_lowered_hooks.append(hook)
