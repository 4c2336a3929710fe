"""Spaces in other calendars and systems: iCalendar out (ical.py), the event bus delivered
to HTTP endpoints (relay.py)."""
