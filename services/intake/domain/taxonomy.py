"""What a report can be about, and the texts around it, in Dutch and English."""

from __future__ import annotations

from shared.messages import N_, Texts, translate
from shared.taxonomy import CATEGORIES
from shared.text import Locale

INTEGRITY_SUBTYPES = Texts(
    {
        "fraude": N_("Fraud"),
        "corruptie": N_("Corruption"),
        "machtsmisbruik": N_("Abuse of power"),
        "diefstal": N_("Theft"),
        "misstand": N_("Wrongdoing"),
    }
)
CHANNELS = Texts(
    {
        "web": N_("Through this website"),
        "email": N_("E-mail"),
        "whatsapp": N_("WhatsApp"),
        "phone": N_("Phone"),
        "in_person": N_("In person"),
        "letter": N_("Letter"),
    }
)
MEETING_MODES = Texts(
    {
        "online": N_("Online (video)"),
        "on_location": N_("On location"),
        "phone": N_("By phone"),
        "walk": N_("During a walk"),
    }
)
# The confidant's words for a case's state and for how it ended (the API's values are the keys).
STATUSES = Texts(
    {
        "new": N_("New"),
        "in_contact": N_("In contact"),
        "in_conversation": N_("In conversation"),
        "closed": N_("Closed"),
    }
)
OUTCOMES = Texts(
    {
        "listening_ear": N_("Listening ear"),
        "advice": N_("Advice"),
        "referral": N_("Referral"),
        "mediation": N_("Mediation"),
        "formal_complaint_support": N_("Support with a formal complaint"),
        "whistleblower_report": N_("Whistleblower report"),
    }
)
OUT_OF_SCOPE = N_(
    "Labour disputes and problems around a reorganisation are not the confidant's task. "
    "For those, turn to your manager, HR, the works council, a trade union or a mediator; "
    "the confidant can help you find the right way."
)


def confirmation(locale: Locale, reference: str, anonymous: bool) -> dict[str, object]:
    """What the reporter reads right after sending a report."""
    respond = (
        N_(
            "A confidant will respond within two working days through this site, with your case "
            "code."
        )
        if anonymous
        else N_("A confidant will respond within two working days.")
    )
    steps = [
        N_("Write down your case code now: it is shown only once and cannot be recovered."),
        respond,
        N_(
            "You can book a confidential conversation: online, on location, by phone or during a "
            "walk."
        ),
        N_("Nothing you tell us goes to your employer without your permission."),
    ]
    title = translate(N_("Your report {reference} has been received"), locale)
    return {
        "title": title.format(reference=reference),
        "next_steps": [translate(step, locale) for step in steps],
    }


def labels(locale: Locale, items: Texts = CATEGORIES) -> dict[str, str]:
    """Each item's name in ``locale`` (categories unless told otherwise)."""
    return items[locale]


def catalogue(locale: Locale) -> dict[str, object]:
    """The choices an intake page offers, labelled in ``locale``."""

    def labelled(items: Texts) -> list[dict[str, str]]:
        return [{"id": key, "label": label} for key, label in items[locale].items()]

    return {
        "categories": labelled(CATEGORIES),
        "integrity_subtypes": labelled(INTEGRITY_SUBTYPES),
        "channels": labelled(CHANNELS),
        "meeting_modes": labelled(MEETING_MODES),
        "out_of_scope": translate(OUT_OF_SCOPE, locale),
    }


ACKNOWLEDGEMENTS = Texts(
    {
        "email": N_(
            "Your report has been received under reference {reference}.\n\n"
            "A confidant will contact you within two working days. To add something, simply "
            "reply to this e-mail. What you tell us stays confidential: nothing goes to your "
            "employer without your permission."
        ),
        "whatsapp": N_(
            "Your report has been received under reference {reference}.\n\n"
            "A confidant will contact you within two working days. To add something, simply "
            "reply to this message. What you tell us stays confidential: nothing goes to your "
            "employer without your permission."
        ),
    }
)


def acknowledgement(locale: Locale, reference: str, channel: str) -> str:
    """The automatic answer to a report that came in by e-mail or WhatsApp (the seeds: the
    confidant makes contact; the Whistleblower Act: receipt confirmed within seven days)."""
    kind = channel if channel in ACKNOWLEDGEMENTS.source else "email"
    return ACKNOWLEDGEMENTS.text(kind, locale).format(reference=reference)


def not_kept(locale: Locale, names: tuple[str, ...]) -> str:
    """Said in the case when attachments or media were left out."""
    said = translate(
        N_("[Attachments not kept: {names}. Ask for them in a conversation if needed.]"), locale
    )
    return said.format(names=", ".join(names[:10]))
