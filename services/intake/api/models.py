"""The bodies intake accepts. Validation errors become a 422 naming the fields. A report
and a change of a case are the domain's inputs (``domain.report``), taken as they are."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from services.intake.domain.report import CaseCreate as CaseCreate
from services.intake.domain.report import CaseUpdate as CaseUpdate
from services.intake.domain.report import Email
from services.intake.store.documents import Ident, Organisation, Slug
from shared.http import Body, picked
from shared.text import Bio, Locale


class CaseAccess(Body):
    """The case code, or what the reporter's browser derived from it (the site sends
    these, so the code never reaches the server): the case's id and the code's secret."""

    case_code: str | None = Field(None, min_length=1, max_length=64)
    code_lookup: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    code_secret: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    # The organisation whose page the reporter came back through: a code is found only
    # within it, and wrong codes are counted against it from any address.
    organisation: Slug | None = None

    @model_validator(mode="after")
    def one_way(self) -> Self:
        derived = self.code_lookup is not None and self.code_secret is not None
        if (self.case_code is not None) == derived:
            raise ValueError("give the case_code, or code_lookup with code_secret")
        return self


# The log-in secret a browser derives from a password (shared.envelope.login_secret): the
# server keeps and checks this, and never sees the password its pages are typed into.
SECRET = Field(None, pattern=r"^[0-9a-f]{64}$")


class Login(Body):
    """The user name with the log-in secret the page derived from the password, or (an API
    client) the password itself."""

    username: str = Field(min_length=1, max_length=100)
    password: str | None = Field(None, min_length=1, max_length=200)
    login_secret: str | None = SECRET
    audience: list[Literal["intake", "booking", "notify", "reporting"]] = Field(
        default=["intake", "booking", "notify", "reporting"], min_length=1
    )

    @model_validator(mode="after")
    def one_form(self) -> Self:
        if (self.password is None) == (self.login_secret is None):
            raise ValueError("give the password or the log-in secret: one of the two")
        return self


# An organisation's bodies: fields picked from the stored type (store.documents), where each
# is declared once with its constraints.
ORG_SETTINGS = {
    "locale": "nl",
    "timezone": "Europe/Amsterdam",
    "departments": [],
    "confidant_ids": [],
    "report_threshold": 5,
    "retention_days": 365,
    "phone_number": None,
    "whatsapp_number": None,
    "first_contact_days": 2,
    "referrals": [],
}
OrgCreate = picked("OrgCreate", Organisation, {"name": ..., "slug": ..., **ORG_SETTINGS})
# What the API answers of one: the same fields and its id (``documents.org_view``).
OrgView = picked(
    "OrgView",
    Organisation,
    {"_id": ..., "name": ..., "slug": ..., **ORG_SETTINGS},
    rename={"_id": "id"},
)
OrgUpdate = picked(
    "OrgUpdate",
    Organisation,
    {"name": None, **{k: None for k in ORG_SETTINGS if k != "timezone"}},
    partial=True,
)


class StaffCreate(Body):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[a-z0-9._@-]+$")
    # Without one, the answer holds a one-time link with which its person sets one.
    password: str | None = Field(None, min_length=12, max_length=200)
    role: Literal["admin", "confidant", "org_admin"]
    display_name: str = Field(min_length=1, max_length=100)
    confidant_id: Ident | None = None  # booking's id, for a confidant
    org_id: Ident | None = None  # for an org_admin
    bio: Bio | None = None  # a confidant's public profile, per language or one for all
    # Where notify writes to this person (sealed at rest), in their language.
    email: Email | None = None
    locale: Locale = "nl"

    @model_validator(mode="after")
    def scoped(self) -> Self:
        if self.role == "confidant" and self.confidant_id is None:
            raise ValueError("a confidant account needs confidant_id")
        if self.role == "org_admin" and self.org_id is None:
            raise ValueError("an org_admin account needs org_id")
        return self


class Welcome(Body):
    """Setting one's password with the office's one-time link: the page sends the log-in
    secret it derived (and checked the password's length before); an API client may send
    the password."""

    token: str = Field(min_length=20, max_length=100)
    password: str | None = Field(None, min_length=12, max_length=200)
    login_secret: str | None = SECRET

    @model_validator(mode="after")
    def one_form(self) -> Self:
        if (self.password is None) == (self.login_secret is None):
            raise ValueError("give the password or the log-in secret: one of the two")
        return self


class Invitation(Body):
    token: str = Field(min_length=20, max_length=100)


class Active(Body):
    active: bool


class RoleChange(Body):
    role: Literal["admin", "confidant", "org_admin"]
    confidant_id: Ident | None = None  # booking's id, for a confidant
    org_id: Ident | None = None  # for an org_admin

    @model_validator(mode="after")
    def scoped(self) -> Self:
        if self.role == "confidant" and self.confidant_id is None:
            raise ValueError("confidant_id: a confidant account names its confidant")
        if self.role == "org_admin" and self.org_id is None:
            raise ValueError("org_id: an org_admin account names its organisation")
        return self


# 5,000 characters of up to 4 bytes, padded to blocks, with the envelope's 49, in base64.
SEALED_MAX = 4 * (1 + 48 + 20224) // 3 + 4
BASE64 = r"^[A-Za-z0-9+/]+={0,2}$"


class Text(Body):
    """A note or message: its text, or, in a case with a vault, sealed in the writer's
    browser: to the case key (``sealed``) and, for a message, to the reporter's
    (``reporter``), standard base64. Text sent to a case with a vault is sealed on arrival;
    one that is relayed by e-mail or WhatsApp must be sent as text."""

    text: str | None = Field(None, min_length=1, max_length=5000)
    sealed: str | None = Field(None, min_length=4, max_length=SEALED_MAX, pattern=BASE64)
    reporter: str | None = Field(None, min_length=4, max_length=SEALED_MAX, pattern=BASE64)
    # A confidant's message sealed in their browser with their signature in front of the
    # text (shared/envelope.py's sign_message): the reporter's page checks it.
    signed: bool = False

    @model_validator(mode="after")
    def one_form(self) -> Self:
        if self.signed and self.sealed is None:
            raise ValueError("signed: a signed message comes sealed")
        if (self.text is None) == (self.sealed is None):
            raise ValueError("give the text, or the text sealed to the case: one of the two")
        if self.reporter is not None and self.sealed is None:
            raise ValueError("reporter: the copy for the reporter goes with sealed")
        return self


class Assign(Body):
    confidant_id: Ident
    # A case sealed to its key: the case's private key sealed to the new confidant's
    # certified key, by the browser of the confidant handing it over. Without it (the office
    # hands over) the case waits for someone who holds its key to seal it on.
    wrap: str | None = Field(None, min_length=4, max_length=600, pattern=BASE64)


class Wrap(Body):
    """A case's key, sealed on to the confidant it was handed to."""

    holder: Ident
    wrap: str = Field(min_length=4, max_length=600, pattern=BASE64)


class Rotation(Body):
    """A case's new key, made in its confidant's browser: the key it replaces (so that two
    rotations cannot cross), the new public key, the new private key sealed to the
    confidant and to escrow, and the old private key sealed to the new public key."""

    from_key: str = Field(min_length=44, max_length=44, pattern=BASE64)
    public_key: str = Field(min_length=44, max_length=44, pattern=BASE64)
    wrap: str = Field(min_length=4, max_length=600, pattern=BASE64)
    escrow: str = Field(min_length=4, max_length=600, pattern=BASE64)
    by_next: str = Field(min_length=4, max_length=600, pattern=BASE64)


class Certificate(Body):
    certificate: str = Field(min_length=4, max_length=200, pattern=BASE64)
