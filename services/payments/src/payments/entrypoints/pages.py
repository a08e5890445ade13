"""The page a resident returns to from the gateway's payment page: what happened to their payment."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from payments.adapters.tables import Payment

LONDON = ZoneInfo("Europe/London")

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main>
<h1>{title}</h1>
<p>{message}</p>
<dl><dt>For</dt><dd>{description}</dd><dt>Amount</dt><dd>£{pounds}</dd>
<dt>Payment reference</dt><dd>{payment_id}</dd>{when}</dl>{retry}
</main></body></html>"""

# A plain form: works without JavaScript; the unguessable token in the action is the only key.
_RETRY_FORM = """
<form method="post" action="{action}">
<button type="submit">Try again</button>
</form>"""

_PLAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main>
<h1>{title}</h1>
<p>{message}</p>{extra}
</main></body></html>"""


def pounds(pence: int) -> str:
    return f"{pence // 100:,}.{pence % 100:02d}"


def london_time(moment: datetime) -> str:
    return (
        moment.astimezone(LONDON)
        .strftime("%-d %B %Y at %-I:%M%p")
        .replace("AM", "am")
        .replace("PM", "pm")
    )


def outcome_page(payment: Payment, *, retry_action: str | None = None) -> tuple[str, str]:
    """The page's (outcome, HTML) for a payment as it now stands.

    `retry_action`: where "Try again" posts, when the payment ended without success and its
    request is still open (None: no button).
    """
    retry = retry_action is not None and payment.finished and payment.status != "success"
    not_charged = (
        "You have not been charged. You can try again now."
        if retry
        else "You have not been charged. We will send you a new link to pay if you need one."
    )
    if payment.status == "success":
        outcome, title = "paid", "Payment received"
        message = "Thank you. Your payment has been received and your booking will be confirmed."
    elif payment.failure_code == "P0030":
        outcome, title = "cancelled", "You cancelled your payment"
        message = not_charged
    elif payment.failure_code == "P0020":
        outcome, title = "expired", "Your payment link has expired"
        message = not_charged
    elif payment.finished:
        outcome, title = "failed", "Your payment was not successful"
        message = not_charged
    else:
        outcome, title = "pending", "We are checking your payment"
        message = "We have not yet heard from the payment provider. Refresh this page in a minute."
    when = (
        f"<dt>Paid</dt><dd>{html.escape(london_time(payment.finished_at))}</dd>"
        if payment.status == "success" and payment.finished_at
        else ""
    )
    return outcome, _PAGE.format(
        lang=html.escape(payment.language),
        title=html.escape(title),
        message=html.escape(message),
        description=html.escape(payment.description),
        pounds=pounds(payment.amount),
        payment_id=html.escape(payment.gateway_payment_id),
        when=when,
        retry=_RETRY_FORM.format(action=html.escape(retry_action or "")) if retry else "",
    )


def not_found_page() -> str:
    return _PLAIN_PAGE.format(
        title="Payment not found",
        message="We cannot find this payment. Check the link in the message we sent you.",
        extra="",
    )


def unavailable_page(retry_action: str) -> str:
    return _PLAIN_PAGE.format(
        title="Sorry, there is a problem with the service",
        message="We could not start a new payment. You have not been charged. Try again later.",
        extra=_RETRY_FORM.format(action=html.escape(retry_action)),
    )
