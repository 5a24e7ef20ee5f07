"""What a report says as it comes in, checked as it is made, whichever way it came."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.domain.report import CaseCreate, CaseUpdate, Contact


def test_a_named_report_needs_a_way_back_and_a_name() -> None:
    named = {"organisation": "noord", "category": "pesten", "anonymous": False}
    with pytest.raises(ValidationError, match="contact details with a name"):
        CaseCreate.model_validate(named)
    contact = {"name": "Jan", "phone": "+31 (6) 1234-5678", "preferred_channel": "whatsapp"}
    made = CaseCreate.model_validate({**named, "contact": contact})
    assert made.contact is not None and made.contact.phone == "+31612345678"  # as dialled
    with pytest.raises(ValidationError, match="preferred channel is e-mail"):
        Contact.model_validate({"phone": "0612345678", "preferred_channel": "email"})
    with pytest.raises(ValidationError, match="not a valid e-mail address"):
        Contact.model_validate({"email": "jan@@example.nl"})


def test_a_subtype_belongs_to_an_integrity_report() -> None:
    with pytest.raises(ValidationError, match="subtype belongs"):
        CaseCreate.model_validate(
            {"organisation": "noord", "category": "pesten", "anonymous": True, "subtype": "fraude"}
        )


def test_closing_needs_an_outcome_and_a_referral_goes_with_one() -> None:
    assert CaseUpdate.model_validate({"status": "closed", "outcome": "advice"}).outcome == "advice"
    with pytest.raises(ValidationError, match="needs an outcome"):
        CaseUpdate.model_validate({"status": "closed"})
    with pytest.raises(ValidationError, match="referral_to goes with"):
        CaseUpdate.model_validate(
            {"status": "closed", "outcome": "advice", "referral_to": "bedrijfsarts"}
        )
