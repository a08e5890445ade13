"""OpenAPI fragments for bodies intake reads itself (to answer 413/415 before parsing)."""

from __future__ import annotations

from typing import Any

_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request", "content": _PROBLEM},
    404: {"description": "Not found", "content": _PROBLEM},
    413: {"description": "Body too large", "content": _PROBLEM},
    415: {"description": "Unsupported content type", "content": _PROBLEM},
    422: {"description": "Failing fields, each with its rule", "content": _PROBLEM},
    503: {"description": "Temporarily unavailable; see Retry-After", "content": _PROBLEM},
}
# The routes that take submissions, limited per client and hour.
RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "This client's submissions for the hour; see Retry-After",
        "content": _PROBLEM,
    },
}

SUBMISSION_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["answers"],
                "properties": {
                    "answers": {
                        "type": "object",
                        "description": "Valid against the form's JSON Schema (GET /v1/forms/{id}).",
                    },
                    "contact": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "maxLength": 200},
                            "email": {"type": "string", "format": "email"},
                            "phone": {"type": "string", "description": "UK or +international"},
                            "address": {"type": "string", "maxLength": 500},
                        },
                    },
                    "preferred_channel": {"enum": ["email", "sms", "push", "none"]},
                    "consent": {"type": "boolean", "description": "Agreed to be contacted"},
                    "location": {
                        "type": "object",
                        "description": "A UPRN, an address, or latitude and longitude",
                        "properties": {
                            "uprn": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                            "address": {"type": "string", "maxLength": 500},
                            "latitude": {"type": "number"},
                            "longitude": {"type": "number"},
                        },
                    },
                    "description": {"type": "string", "maxLength": 4000},
                    "language": {"enum": ["en", "cy"]},
                },
            }
        }
    },
}

BACKOFFICE_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "description": 'One event, or {"events": [...]} with up to 500',
                "type": "object",
                "properties": {
                    "events": {"type": "array", "maxItems": 500, "items": {"type": "object"}},
                    "type": {"type": "string"},
                    "event_id": {"type": "string", "format": "uuid"},
                },
            }
        }
    },
}
