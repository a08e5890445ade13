"""Email by plain SMTP (aiosmtplib). SMTP cannot be asked later whether it took a message."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from notify.adapters.providers.base import (
    DeliveryProvider,
    OutcomeUnknown,
    OutgoingMessage,
    PermanentFailure,
    ProviderReceipt,
    TemporaryFailure,
)


class SmtpProvider(DeliveryProvider):
    name = "smtp"
    channels = frozenset({"email"})
    supports_lookup = False

    def __init__(self, *, host: str, port: int, sender: str, timeout_s: float = 10.0) -> None:
        self._host, self._port, self._sender, self._timeout_s = host, port, sender, timeout_s

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        if message.channel != "email" or not isinstance(message.recipient, str):
            raise PermanentFailure("SMTP sends email only")
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        message_id = make_msgid(idstring=message.reference, domain="notify.council.example")
        email["Message-ID"] = message_id
        email["X-Notification-Reference"] = message.reference
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email, hostname=self._host, port=self._port, timeout=self._timeout_s
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused ({codes})") from exc
            raise TemporaryFailure(f"recipient deferred ({codes})") from exc
        except aiosmtplib.SMTPConnectError as exc:
            raise TemporaryFailure("SMTP server unreachable") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise TemporaryFailure(f"SMTP deferred ({exc.code})") from exc
            raise PermanentFailure(f"SMTP refused ({exc.code})") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise OutcomeUnknown(f"SMTP: {type(exc).__name__}") from exc
        return ProviderReceipt(provider_reference=message_id.strip("<>"), status="sent")
