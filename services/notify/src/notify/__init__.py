"""The notify service: Templates, channel of choice, delivery to email/SMS/push, delivery receipts."""
