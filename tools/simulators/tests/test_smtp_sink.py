"""The SMTP sink keeps what it is sent, refuses the bounce domain, and shows its inbox."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest
from civic_simulators.govuk_notify.server import free_port
from civic_simulators.smtp_sink import SmtpSink, create_inbox_app

pytestmark = pytest.mark.integration


def message(to: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = "council@example.com"
    email["To"] = to
    email["Subject"] = "Your bin"
    email["Message-ID"] = "<abc@notify.example>"
    email.set_content("It will be collected.")
    return email


async def test_the_sink_keeps_messages_and_shows_them() -> None:
    sink = SmtpSink(port=free_port())
    sink.start()
    try:
        await aiosmtplib.send(message("resident@example.com"), hostname="127.0.0.1", port=sink.port)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await aiosmtplib.send(
                message("gone@bounce.example"), hostname="127.0.0.1", port=sink.port
            )
        assert refused.value.recipients[0].code == 550
        assert [m.recipients for m in sink.messages] == [("resident@example.com",)]
        stored = sink.to("resident@example.com")[0]
        assert (stored.subject, stored.body.strip(), stored.message_id) == (
            "Your bin",
            "It will be collected.",
            "<abc@notify.example>",
        )
        app = create_inbox_app(sink)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://inbox"
        ) as inbox:
            listed = (await inbox.get("/messages")).json()
            assert listed[0]["to"] == ["resident@example.com"]
            assert "Your bin" in (await inbox.get("/")).text
            assert (await inbox.delete("/messages")).status_code == 204
        assert sink.messages == []
    finally:
        sink.stop()
