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
