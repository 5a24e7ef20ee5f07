"""What a report can be about, and the texts around it, in Dutch and English."""

from __future__ import annotations

from shared.text import Locale

CATEGORIES: dict[str, dict[str, str]] = {
    "pesten": {"nl": "Pesten", "en": "Bullying"},
    "intimidatie": {"nl": "Intimidatie", "en": "Intimidation"},
    "seksuele_intimidatie": {"nl": "Seksuele intimidatie", "en": "Sexual harassment"},
    "discriminatie": {"nl": "Discriminatie", "en": "Discrimination"},
    "agressie_geweld": {"nl": "Agressie en geweld", "en": "Aggression and violence"},
    "onveilig_gevoel": {"nl": "Onveilig gevoel", "en": "Feeling unsafe"},
    "integriteit": {"nl": "Integriteit", "en": "Integrity"},
    "vraag_advies": {"nl": "Vraag of advies", "en": "Question or advice"},
    "anders": {"nl": "Anders", "en": "Other"},
}
INTEGRITY_SUBTYPES: dict[str, dict[str, str]] = {
    "fraude": {"nl": "Fraude", "en": "Fraud"},
    "corruptie": {"nl": "Corruptie", "en": "Corruption"},
    "machtsmisbruik": {"nl": "Machtsmisbruik", "en": "Abuse of power"},
    "diefstal": {"nl": "Diefstal", "en": "Theft"},
    "misstand": {"nl": "Misstand", "en": "Wrongdoing"},
}
CHANNELS: dict[str, dict[str, str]] = {
    "web": {"nl": "Via deze website", "en": "Through this website"},
    "email": {"nl": "E-mail", "en": "E-mail"},
    "whatsapp": {"nl": "WhatsApp", "en": "WhatsApp"},
    "phone": {"nl": "Telefoon", "en": "Phone"},
    "in_person": {"nl": "Persoonlijk", "en": "In person"},
    "letter": {"nl": "Brief", "en": "Letter"},
}
MEETING_MODES: dict[str, dict[str, str]] = {
    "online": {"nl": "Online (video)", "en": "Online (video)"},
    "on_location": {"nl": "Op locatie", "en": "On location"},
    "phone": {"nl": "Telefonisch", "en": "By phone"},
    "walk": {"nl": "Wandelend", "en": "During a walk"},
}
# The confidant's words for a case's state and for how it ended (the API's values are the keys).
STATUSES: dict[str, dict[str, str]] = {
    "new": {"nl": "Nieuw", "en": "New"},
    "in_contact": {"nl": "In contact", "en": "In contact"},
    "in_conversation": {"nl": "In gesprek", "en": "In conversation"},
    "closed": {"nl": "Afgesloten", "en": "Closed"},
}
OUTCOMES: dict[str, dict[str, str]] = {
    "listening_ear": {"nl": "Luisterend oor", "en": "Listening ear"},
    "advice": {"nl": "Advies", "en": "Advice"},
    "referral": {"nl": "Doorverwijzing", "en": "Referral"},
    "mediation": {"nl": "Bemiddeling", "en": "Mediation"},
    "formal_complaint_support": {
        "nl": "Steun bij formele klacht",
        "en": "Support with a formal complaint",
    },
    "whistleblower_report": {"nl": "Klokkenluidersmelding", "en": "Whistleblower report"},
}
OUT_OF_SCOPE: dict[str, str] = {
    "nl": (
        "Arbeidsconflicten en problemen rond een reorganisatie horen niet bij de taak van de "
        "vertrouwenspersoon. Daarvoor kunt u terecht bij uw leidinggevende, HR, de "
        "ondernemingsraad, een vakbond of een mediator; de vertrouwenspersoon kan u helpen "
        "de juiste weg te vinden."
    ),
    "en": (
        "Labour disputes and problems around a reorganisation are not the confidant's task. "
        "For those, turn to your manager, HR, the works council, a trade union or a "
        "mediator; the confidant can help you find the right way."
    ),
}


def confirmation(locale: Locale, reference: str, anonymous: bool) -> dict[str, object]:
    """What the reporter reads right after sending a report."""
    if locale == "en":
        steps = [
            "Write down your case code now: it is shown only once and cannot be recovered.",
            "A confidant will respond within two working days"
            + (" through this site, with your case code." if anonymous else "."),
            "You can book a confidential conversation: online, on location, by phone or "
            "during a walk.",
            "Nothing you tell us goes to your employer without your permission.",
        ]
        return {"title": f"Your report {reference} has been received", "next_steps": steps}
    steps = [
        "Schrijf uw meldcode nu op: die wordt maar één keer getoond en is niet te herstellen.",
        "Een vertrouwenspersoon reageert binnen twee werkdagen"
        + (" via deze site, met uw meldcode." if anonymous else "."),
        "U kunt een vertrouwelijk gesprek inplannen: online, op locatie, telefonisch of wandelend.",
        "Niets van wat u vertelt gaat zonder uw toestemming naar uw werkgever.",
    ]
    return {"title": f"Uw melding {reference} is ontvangen", "next_steps": steps}


def labels(locale: Locale, items: dict[str, dict[str, str]] = CATEGORIES) -> dict[str, str]:
    """Each item's name in ``locale`` (categories unless told otherwise)."""
    return {key: names[locale] for key, names in items.items()}


def catalogue(locale: Locale) -> dict[str, object]:
    """The choices an intake page offers, labelled in ``locale``."""

    def labelled(items: dict[str, dict[str, str]]) -> list[dict[str, str]]:
        return [{"id": key, "label": labels[locale]} for key, labels in items.items()]

    return {
        "categories": labelled(CATEGORIES),
        "integrity_subtypes": labelled(INTEGRITY_SUBTYPES),
        "channels": labelled(CHANNELS),
        "meeting_modes": labelled(MEETING_MODES),
        "out_of_scope": OUT_OF_SCOPE[locale],
    }


def acknowledgement(locale: Locale, reference: str, channel: str) -> str:
    """The automatic answer to a report that came in by e-mail or WhatsApp (the seeds: the
    confidant makes contact; the Whistleblower Act: receipt confirmed within seven days)."""
    how = {"email": ("deze e-mail", "this e-mail"), "whatsapp": ("dit bericht", "this message")}
    nl_how, en_how = how.get(channel, how["email"])
    if locale == "en":
        return (
            f"Your report has been received under reference {reference}.\n\n"
            "A confidant will contact you within two working days. To add something, "
            f"simply reply to {en_how}. What you tell us stays confidential: nothing goes to "
            "your employer without your permission."
        )
    return (
        f"Uw melding is ontvangen onder kenmerk {reference}.\n\n"
        "Een vertrouwenspersoon neemt binnen twee werkdagen contact met u op. Wilt u iets "
        f"aanvullen, antwoord dan gewoon op {nl_how}. Wat u vertelt blijft vertrouwelijk: "
        "niets gaat zonder uw toestemming naar uw werkgever."
    )


def not_kept(locale: Locale, names: tuple[str, ...]) -> str:
    """Said in the case when attachments or media were left out."""
    listed = ", ".join(names[:10])
    if locale == "en":
        return f"[Attachments not kept: {listed}. Ask for them in a conversation if needed.]"
    return f"[Bijlagen niet bewaard: {listed}. Vraag er zo nodig naar in een gesprek.]"
