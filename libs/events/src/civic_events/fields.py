"""Field types shared by several event families."""

from typing import Annotated, Literal

from pydantic import Field

from civic_events.limits import LIST_ITEMS, TEXT_CHARACTERS, ProducerItems, ProducerText

Pence = Annotated[
    int,
    Field(gt=0, le=10_000_000, description="Money in pence; GOV.UK Pay takes at most £100,000."),
]
Channel = Literal["email", "sms", "push"]
Language = Literal["en", "cy"]

PhoneNumber = Annotated[
    str, Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164, e.g. +447700900123.")
]
EmailAddress = Annotated[
    str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254), ProducerText()
]
Uprn = Annotated[
    str, Field(pattern=r"^[0-9]{1,12}$", description="Unique Property Reference Number.")
]
Usrn = Annotated[str, Field(pattern=r"^[0-9]{1,8}$", description="Unique Street Reference Number.")]

Reference = Annotated[
    str,
    Field(min_length=1, max_length=100, description="An identifier issued by a system."),
    ProducerText(),
]
RoundId = Annotated[
    str,
    Field(min_length=1, max_length=50, description="The waste contractor's round."),
    ProducerText(),
]

# Free text. The producer's rules (civic_events.limits) apply on top of any limit the field's
# contract sets: a Line holds no control character, a Text may hold tab, CR and LF. LongText
# is free text whose contract sets no limit, so only producers hold it to TEXT_CHARACTERS.
Line = Annotated[str, ProducerText()]
Text = Annotated[str, ProducerText(multiline=True)]
LongText = Annotated[str, ProducerText(TEXT_CHARACTERS, multiline=True)]
# A list whose contract sets no limit: producers send at most LIST_ITEMS items.
Items = ProducerItems(LIST_ITEMS)

# Snake-case codes rather than Literals, so adding a status or case type later
# is not a breaking change for consumers that validate strictly.
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=50)]
