"""Plain-English wording of statuses for residents."""

from __future__ import annotations

STATUS_WORDING: dict[str, str] = {
    "received": "We have received your request.",
    "return_visit_scheduled": "A return visit to collect your bin has been booked.",
    "collected": "Your bin has been collected.",
    "not_presented": "The crew reported that the bin was not put out for collection.",
    "cancelled": "This request was cancelled.",
    "closed": "This request is closed.",
    "awaiting_payment": "We are waiting for your payment.",
    "payment_failed": "Your payment did not go through. You can try again.",
    "booked": "Your booking is confirmed.",
    "delivered": "Your bin has been delivered.",
    "validated": "The application is valid and is being considered.",
    "invalid": "The application is not valid yet: more information is needed.",
    "consultation": "The application is open for public consultation.",
    "awaiting_decision": "The application is awaiting a decision.",
    "decided": "A decision has been made on the application.",
    "withdrawn": "This was withdrawn.",
    "investigating": "We are looking into your report.",
    "action_scheduled": "Action has been scheduled.",
    "resolved": "The problem has been dealt with.",
    "not_council_responsibility": "This is not something the council is responsible for.",
    "in_progress": "We are working on your request.",
    "awaiting_clarification": "We need more information from you before we can continue.",
    "responded": "We have sent our response.",
}


def describe(status: str) -> str:
    return STATUS_WORDING.get(status, status.replace("_", " ").capitalize() + ".")
