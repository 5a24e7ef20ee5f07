"""What a report can be about and the words around it, in the reporter's language."""

from __future__ import annotations

from services.intake.domain import taxonomy


def test_the_choices_are_labelled_in_the_readers_language() -> None:
    dutch, english = taxonomy.catalogue("nl"), taxonomy.catalogue("en")
    assert {"id": "pesten", "label": "Pesten"} in dutch["categories"]  # type: ignore[operator]
    assert {"id": "pesten", "label": "Bullying"} in english["categories"]  # type: ignore[operator]
    assert "vertrouwenspersoon" in str(dutch["out_of_scope"])
    assert "confidant" in str(english["out_of_scope"])
    assert taxonomy.labels("en", taxonomy.STATUSES)["closed"] == "Closed"


def test_the_confirmation_says_how_to_come_back_when_anonymous() -> None:
    anonymous = taxonomy.confirmation("en", "VP-2026-ABC123", anonymous=True)
    named = taxonomy.confirmation("nl", "VP-2026-ABC123", anonymous=False)
    assert anonymous["title"] == "Your report VP-2026-ABC123 has been received"
    assert any("with your case code" in step for step in anonymous["next_steps"])  # type: ignore[attr-defined]
    assert named["title"] == "Uw melding VP-2026-ABC123 is ontvangen"
    assert not any("meldcode." in step for step in named["next_steps"][1:2])  # type: ignore[index]


def test_the_acknowledgement_answers_in_the_channel_it_came_by() -> None:
    mail = taxonomy.acknowledgement("nl", "VP-1", "email")
    chat = taxonomy.acknowledgement("en", "VP-1", "whatsapp")
    assert "kenmerk VP-1" in mail and "deze e-mail" in mail
    assert "reference VP-1" in chat and "this message" in chat
    assert "deze e-mail" in taxonomy.acknowledgement("nl", "VP-1", "letter")  # mail by default
    said = taxonomy.not_kept("en", tuple(f"f{i}.pdf" for i in range(12)))
    assert "f9.pdf" in said and "f10.pdf" not in said  # ten named at most
