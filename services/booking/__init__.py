"""Booking: confidants, availability from their CalDAV calendars, appointments."""
