"""The cases service: The case record and resident record (the CRM of record): state machines, SLAs, timeline, officer API."""
