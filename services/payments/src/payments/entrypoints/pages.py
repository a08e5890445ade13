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
<dt>Payment reference</dt><dd>{payment_id}</dd>{when}</dl>
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


def outcome_page(payment: Payment) -> tuple[str, str]:
    """The page's (outcome, HTML) for a payment as it now stands."""
    if payment.status == "success":
        outcome, title = "paid", "Payment received"
        message = "Thank you. Your payment has been received and your booking will be confirmed."
    elif payment.failure_code == "P0030":
        outcome, title = "cancelled", "You cancelled your payment"
        message = "You have not been charged. We will send you a new link to pay if you need one."
    elif payment.failure_code == "P0020":
        outcome, title = "expired", "Your payment link has expired"
        message = "You have not been charged. We will send you a new link to pay if you need one."
    elif payment.finished:
        outcome, title = "failed", "Your payment was not successful"
        message = "You have not been charged. We will send you a new link to pay if you need one."
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
    )
