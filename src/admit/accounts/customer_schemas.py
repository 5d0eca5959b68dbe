"""Request and response models of the customer-facing accounts API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from admit.accounts.customers import SourceChannel
from admit.accounts.documents import DocumentType
from admit.accounts.identities import DocumentIn
from admit.accounts.identity_models import IdentityMethod, IdentityStatus
from admit.accounts.mobile_numbers import MOBILE
from admit.accounts.person_names import check_person_name

Login = Annotated[str, Field(min_length=3, max_length=254, description="mobile or email")]
Code = Annotated[str, Field(pattern=r"^\d{6}$")]
Device = Annotated[str, Field(max_length=200)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeRequestIn(Model):
    login: Login
    purpose: Literal["register", "login", "reset"]


class RegisterIn(Model):
    login: Login
    code: Code
    password: Annotated[str, Field(min_length=1, max_length=128)]
    source_channel: Literal["web", "mobile", "kiosk", "agent"] = "web"
    device: Device = ""


class PasswordLoginIn(Model):
    login: Login
    password: Annotated[str, Field(min_length=1, max_length=128)]
    device: Device = ""


class CodeLoginIn(Model):
    login: Login
    code: Code
    device: Device = ""


class PasswordResetIn(Model):
    login: Login
    code: Code
    new_password: Annotated[str, Field(min_length=1, max_length=128)]


class CustomerTokenOut(Model):
    token: str
    expires_at: datetime


class DocumentFields(Model):
    doc_type: DocumentType
    number: Annotated[str, Field(min_length=4, max_length=30)]
    name: Annotated[str, Field(min_length=1, max_length=60), AfterValidator(check_person_name)]
    nationality: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "CN"
    visa_expires: date | None = None

    def to_document(self) -> DocumentIn:
        return DocumentIn(
            doc_type=self.doc_type,
            number=self.number,
            name=self.name,
            nationality=self.nationality.upper(),
            visa_expires=self.visa_expires,
        )


ContactPhone = Annotated[str, Field(pattern=rf"^{MOBILE}$")]


class DocumentBody(DocumentFields):
    contact_phone: ContactPhone | None = None


class HolderEditBody(Model):
    """A holder's change: a new document (only while the holder is not verified), and/or the
    contact phone (``null`` removes it). Omitted fields stay as they are."""

    document: DocumentFields | None = None
    contact_phone: ContactPhone | None = None


class HolderOut(Model):
    holder_id: int
    identity_id: int
    is_self: bool
    name: str
    doc_type: DocumentType
    number: str
    status: IdentityStatus
    method: IdentityMethod
    reason: str | None
    contact_phone: str | None = Field(default=None, description="masked")


class MeOut(Model):
    id: int
    phone: str | None
    email: str | None
    source_channel: SourceChannel
    verified: bool
    holders: list[HolderOut]
