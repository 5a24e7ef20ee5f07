"""Confidants' calendars behind one interface: CalDAV, Google, iCloud and Microsoft Graph; the
sync and the calendar writer."""
