"""What a report can be about, in words: the categories (``event_schemas.Category``) as
intake's pages and reporting's reports name them, declared once."""

from __future__ import annotations

from shared.messages import N_, Texts

CATEGORIES = Texts(
    {
        "pesten": N_("Bullying"),
        "intimidatie": N_("Intimidation"),
        "seksuele_intimidatie": N_("Sexual harassment"),
        "discriminatie": N_("Discrimination"),
        "agressie_geweld": N_("Aggression and violence"),
        "onveilig_gevoel": N_("Feeling unsafe"),
        "integriteit": N_("Integrity"),
        "vraag_advies": N_("Question or advice"),
        "anders": N_("Other"),
    }
)

# Where a confidant refers to, by kind: an organisation's list of places names each place
# (its company doctor, its complaints committee), and the report counts them by kind.
REFERRALS = Texts(
    {
        "company_doctor": N_("Company doctor"),
        "hr": N_("HR"),
        "complaints_committee": N_("Complaints committee"),
        "whistleblowers_authority": N_("Dutch Whistleblowers Authority (Huis voor Klokkenluiders)"),
        "counselling": N_("Counselling (social work, psychologist)"),
        "works_council": N_("Works council"),
        "other": N_("Elsewhere"),
        "none": N_("Not referred"),
    }
)
