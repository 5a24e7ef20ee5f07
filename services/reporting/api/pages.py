"""The organisation admin's page, served by reporting: published reports to read and
download, and the signals raised. The staff token comes in the URL fragment from the log-in
on intake, and stays in the tab's session storage."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.reporting.formats.invoice import TEXT as INVOICE_TEXT
from services.reporting.formats.report import LABELS
from services.reporting.state import REPORTING
from shared.messages import N_, Texts
from shared.pages import Pages
from shared.taxonomy import CATEGORIES

PAGES = Pages("reporting", Path(__file__).parent.parent)  # templates/, static/ beside api/
TEXT = Texts(
    {
        "title": N_("Reports from the confidant"),
        "reports": N_("Published reports"),
        "signals": N_("Signals"),
        "none": N_("Nothing yet."),
        "yearly": N_("Yearly report"),
        "usage": N_("Usage statement"),
        "department_cluster": N_("Several reports from one department"),
        "category_rise": N_("A kind of report is rising"),
        "confidant": N_("The confidant's own signal"),
        "no_token": N_("Log in through the workspace."),
        "work_title": N_("Reports and signals"),
        "organisation": N_("Organisation"),
        "draft": N_("New draft report"),
        "kind": N_("Kind"),
        "year": N_("Year"),
        "make": N_("Make the draft"),
        "all_reports": N_("All reports"),
        "status_draft": N_("draft"),
        "status_published": N_("published"),
        "advice": N_("The confidant's advice"),
        "save_advice": N_("Keep the advice"),
        "saved": N_("Kept."),
        "publish": N_("Publish"),
        "confirm_publish": N_(
            "Publish? The organisation receives this report, and it does not change after."
        ),
        "propose": N_("Look for signals"),
        "note": N_("Note for the organisation"),
        "raise": N_("Pass on"),
        "dismiss": N_("Dismiss"),
        "status_proposed": N_("proposed"),
        "status_raised": N_("passed on"),
        "status_dismissed": N_("dismissed"),
        "failed": N_("That did not work"),
        "intro": N_(
            "What the external confidant lets your organisation know: anonymised, never anything "
            "about one report or one person."
        ),
        "yearly_reports": N_("Yearly reports"),
        "usage_statements": N_("Usage statements"),
        "invoices": N_("Invoices"),
        "invoice": N_("Invoice"),
        "ubl": N_("e-invoice (UBL)"),
        "published_on": N_("published on"),
        "signals_intro": N_("A signal is a trend the confidant passes on to you, with a note."),
        "category_rise_of": N_("More reports about"),
        "own_signal": N_("A signal of your own"),
        "billing": N_("Invoices and credit notes"),
        "period_from": N_("First month"),
        "period_to": N_("Last month"),
        "make_invoice": N_("Invoice this period"),
        "credit": N_("Credit this invoice"),
        "credit_reason": N_("Why (printed on the credit note)"),
        "credit_note": N_("Credit note"),
        "credited_by": N_("credited by"),
        "own_intro": N_(
            "About a kind of report over a period; refused when fewer reports than the "
            "threshold fit it. You raise or dismiss it like the others."
        ),
        "category": N_("Kind of report"),
        "window_start": N_("From"),
        "window_end": N_("Until"),
        "write_signal": N_("Propose this signal"),
        "confidant_about": N_("The confidant sees a development in reports about"),
        "department_cluster_of": N_("Several reports from the department"),
        "window_until": N_("until"),
        "webhooks": N_("Connections (webhooks)"),
        "webhooks_intro": N_(
            "Your own system can get a message when there is a report or a signal. Each message "
            "is signed with the secret you see once."
        ),
        "webhooks_api": N_("Connections are managed through notify's API."),
        "webhook_url": N_("Address (https://…)"),
        "webhook_events": N_("On"),
        "on_report": N_("a new report"),
        "on_signal": N_("a new signal"),
        "add_webhook": N_("Add the connection"),
        "remove": N_("Remove"),
        "secret": N_("The secret to check messages with (keep it now, you see it only once)"),
        "no_webhooks": N_("No connections yet."),
        "org_work": N_("Work for the organisation itself"),
        "org_work_intro": N_(
            "Time spent for the organisation, not for a case: an introduction or a session "
            "outside the booking pages, writing the yearly report. Billed as such; a month "
            "that is invoiced takes no more."
        ),
        "activity_kind": N_("What"),
        "activity_introduction": N_("Introduction"),
        "activity_evaluation": N_("Evaluation"),
        "activity_session": N_("Information session"),
        "activity_yearly_report": N_("Writing the yearly report"),
        "activity_other": N_("Other work for the organisation"),
        "activity_day": N_("Day"),
        "activity_minutes": N_("Minutes"),
        "activity_travel": N_("Travel time in minutes"),
        "activity_km": N_("Kilometres, there and back"),
        "activity_add": N_("Add"),
        "contract": N_("Contract and prices"),
        "save_contract": N_("Save the contract"),
        "preview": N_("What this period costs"),
        "line": N_("Line"),
        "quantity": N_("Quantity"),
        "amount": N_("Amount"),
        "c_legal_name": N_("Legal name"),
        "c_street": N_("Street and number"),
        "c_postcode": N_("Postcode"),
        "c_city": N_("City"),
        "c_country": N_("Country (two letters)"),
        "c_kvk": N_("Chamber of Commerce number (KvK)"),
        "c_oin": N_("OIN (a public body)"),
        "c_vat_id": N_("VAT number"),
        "c_buyer_reference": N_("Their reference (order, cost centre)"),
        "c_locale": N_("Language of the invoice"),
        "c_hourly_rate": N_("Hourly rate (EUR)"),
        "c_travel": N_("Travel"),
        "c_travel_none": N_("not billed"),
        "c_travel_per_visit": N_("a fee per visit"),
        "c_travel_per_km": N_("per kilometre"),
        "c_travel_per_visit_fee": N_("Fee per visit (EUR)"),
        "c_rate_per_km": N_("Rate per kilometre (EUR)"),
        "c_travel_hourly_rate": N_("Travel time, hourly rate (EUR; 0: not billed)"),
        "c_administration": N_("Administration"),
        "c_administration_none": N_("none"),
        "c_administration_per_case": N_("per report"),
        "c_administration_per_month": N_("per month"),
        "c_administration_fee": N_("Administration fee (EUR)"),
        "c_subscription_per_month": N_("Subscription per month (EUR)"),
        "c_vat_category": N_("VAT"),
        "c_vat_S": N_("standard rate"),
        "c_vat_Z": N_("zero rated"),
        "c_vat_E": N_("exempt"),
        "c_vat_percent": N_("VAT percentage"),
        "c_vat_exemption_reason": N_("Reason for the exemption (printed)"),
        "c_starts_on": N_("Contract starts on"),
        "c_ends_on": N_("Contract ends on"),
        "c_evaluate_on": N_("Evaluate with the client on"),
        "meetings": N_("Meet the firm"),
        "meetings_intro": N_(
            "Book an introduction or an evaluation with your confidant: with the employer, "
            "HR or the works council, online or at your premises."
        ),
        "meeting_type": N_("Kind of meeting"),
        "meeting_confidant": N_("With"),
        "meeting_mode": N_("How"),
        "meeting_where": N_("Where (your address and room)"),
        "meeting_times": N_("Show free times"),
        "meeting_time": N_("Time"),
        "meeting_book": N_("Book the meeting"),
        "meeting_booked": N_("Booked."),
        "meeting_none": N_("No meetings planned."),
        "meeting_no_times": N_("No free times in the coming weeks: please ask the office."),
        "mode_online": N_("online (video)"),
        "mode_on_location": N_("at your premises"),
        "video": N_("Video call"),
        "cancel": N_("Cancel"),
    }
)


async def org_page(request: web.Request) -> web.Response:
    """The organisation admin's page: its reports and usage statements to read and
    download, the signals passed on, and its webhooks (through the front door, where
    notify's API is on the same origin)."""
    settings = request.app[REPORTING].settings
    return PAGES.show(
        request,
        "org.html.j2",
        TEXT,
        worded=lambda locale: {"labels": LABELS[locale]},
        notify_api="/api/notify/" if settings.suite_url else "",
        booking_api="/api/booking/" if settings.suite_url else "",
    )


async def reports_page(request: web.Request) -> web.Response:
    """The confidant's (or the office's) work on reports: draft, preview, advise, publish;
    and the signals: look for them, pass them on with a note, or dismiss them."""
    return PAGES.show(
        request,
        "reports.html.j2",
        TEXT,
        worded=lambda lang: {"categories": CATEGORIES[lang], "lines": INVOICE_TEXT[lang]},
    )


def add_pages(app: web.Application) -> None:
    app.router.add_get("/org", org_page)
    app.router.add_get("/reports", reports_page)
    PAGES.add_static(app)
