"""An SMTP server on loopback that accepts every message and keeps it in memory.

Addresses at `bounce.example` are refused with 550 (a permanent failure, as a bounced address
would be), and at `defer.example` with 451 (try later), so senders' failure paths can be tested.
`GET /messages` (JSON) and `GET /` (HTML) show the inbox; `DELETE /messages` empties it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from fastapi.responses import HTMLResponse


@dataclass(frozen=True)
class StoredMessage:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str | None
    headers: dict[str, str]
    body: str
    received_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.sender,
            "to": list(self.recipients),
            "subject": self.subject,
            "message_id": self.message_id,
            "headers": self.headers,
            "body": self.body,
            "received_at": self.received_at.isoformat(),
        }


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = address.rsplit("@", 1)[-1].lower()
        if domain == "bounce.example":
            return "550 5.1.1 Mailbox does not exist"
        if domain == "defer.example":
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        content = raw if isinstance(raw, bytes) else raw.encode()
        parsed = message_from_bytes(content, policy=policy.default)
        body_part = parsed.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        self._sink.messages.append(
            StoredMessage(
                sender=envelope.mail_from or "",
                recipients=tuple(envelope.rcpt_tos),
                subject=str(parsed.get("Subject", "")),
                message_id=parsed.get("Message-ID"),
                headers={k: str(v) for k, v in parsed.items()},
                body=body,
                received_at=datetime.now(UTC),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """`start()`/`stop()` run the SMTP server in its own thread (aiosmtpd's Controller)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.messages: list[StoredMessage] = []
        self._controller = Controller(_Handler(self), hostname=host, port=port)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[StoredMessage]:
        return [m for m in self.messages if address in m.recipients]


def create_inbox_app(sink: SmtpSink) -> FastAPI:
    app = FastAPI(title="SMTP sink inbox")

    @app.get("/messages")
    async def messages() -> list[dict[str, Any]]:
        return [m.as_json() for m in sink.messages]

    @app.delete("/messages", status_code=204)
    async def empty() -> None:
        sink.messages.clear()

    @app.get("/", response_class=HTMLResponse)
    async def inbox() -> str:
        rows = "".join(
            f"<tr><td>{html.escape(m.received_at.isoformat())}</td>"
            f"<td>{html.escape(', '.join(m.recipients))}</td>"
            f"<td>{html.escape(m.subject)}</td><td><pre>{html.escape(m.body)}</pre></td></tr>"
            for m in reversed(sink.messages)
        )
        return (
            "<!doctype html><title>SMTP sink</title><h1>SMTP sink</h1>"
            f"<p>{len(sink.messages)} message(s)</p><table border=1>"
            f"<tr><th>received</th><th>to</th><th>subject</th><th>body</th></tr>{rows}</table>"
        )

    return app
