"""The payments service: Payment requests, GOV.UK Pay gateway integration, signed webhooks, refunds."""
