"""Who to contact and where: only events allowed to carry personal data use these."""

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civic_events.fields import EmailAddress, Line, PhoneNumber, Uprn, Usrn


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Contact(_Part):
    """A person's contact details. Personal data: see the rule in the README."""

    name: Line | None = Field(default=None, max_length=200)
    email: EmailAddress | None = None
    phone: PhoneNumber | None = None
    address: Line | None = Field(
        default=None, max_length=500, description="One line, with postcode."
    )
    uprn: Uprn | None = None


class Coordinates(_Part):
    """WGS 84 latitude and longitude."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Location(_Part):
    """Where something is: a property, a street, an address or a point (Open311 style)."""

    uprn: Uprn | None = None
    usrn: Usrn | None = None
    address: Line | None = Field(default=None, max_length=500)
    coordinates: Coordinates | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if not (self.uprn or self.usrn or self.address or self.coordinates):
            raise ValueError("a location needs a uprn, usrn, address or coordinates")
        return self
