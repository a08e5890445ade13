"""Every event type, by its CloudEvents type."""

from civic_events import cases, intake, notify, payments, planning, residents, waste
from civic_events.base import Event
from civic_events.topics import Topic

_MODELS: tuple[type[Event], ...] = (
    intake.FormSubmitted,
    waste.CollectionCompleted,
    waste.CollectionMissed,
    waste.BinNotPresented,
    waste.ReturnVisitScheduled,
    waste.ServiceDisruption,
    planning.ApplicationReceived,
    planning.ApplicationValidated,
    planning.ApplicationInvalid,
    planning.ConsultationStarted,
    planning.DecisionIssued,
    planning.ApplicationWithdrawn,
    payments.PaymentRequested,
    payments.PaymentCreated,
    payments.PaymentSucceeded,
    payments.PaymentFailed,
    payments.PaymentRefunded,
    cases.CaseOpened,
    cases.CaseStatusChanged,
    cases.CaseClosed,
    cases.CaseSlaBreached,
    residents.ResidentUpserted,
    residents.ContactPreferencesChanged,
    residents.ContactChangeRequested,
    residents.ResidentErased,
    notify.NotificationSent,
    notify.NotificationDelivered,
    notify.NotificationFailed,
)


def _by_type(models: tuple[type[Event], ...]) -> dict[str, type[Event]]:
    by_type: dict[str, type[Event]] = {}
    for model in models:
        if model.ce_type in by_type:
            raise ValueError(f"{model.ce_type} is declared twice")
        by_type[model.ce_type] = model
    return by_type


EVENT_TYPES: dict[str, type[Event]] = _by_type(_MODELS)


def events_for_topic(topic: Topic) -> list[type[Event]]:
    """The event types published on ``topic``, in declaration order."""
    return [model for model in EVENT_TYPES.values() if model.topic == topic]
