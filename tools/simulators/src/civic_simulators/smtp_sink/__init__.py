"""A local SMTP sink (aiosmtpd) that keeps every message, with a tiny HTTP inbox view."""

from civic_simulators.smtp_sink.sink import SmtpSink, StoredMessage, create_inbox_app

__all__ = ["SmtpSink", "StoredMessage", "create_inbox_app"]
