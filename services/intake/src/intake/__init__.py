"""The intake service: Online forms, Open311 GeoReport v2 and back-office webhooks in; validated events out."""
