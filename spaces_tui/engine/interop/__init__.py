"""Spaces in other calendars and systems: iCalendar out (ical.py)."""
