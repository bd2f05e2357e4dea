"""iCalendar feeds as Google and Outlook publish them, for the calendar tests."""

from __future__ import annotations

# Google's "secret address in iCal format": X-WR-TIMEZONE, UTC times, a weekly series with an
# EXDATE that crosses the change to summer time, an all-day holiday, a "free" event and a
# cancelled one. 09:00Z on 1 March is 10:00 in Berlin; the series stays at 10:00 Berlin time.
GOOGLE = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:Mia (work)
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VEVENT
DTSTART:20270301T090000Z
DTEND:20270301T100000Z
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE:20270315T090000Z
UID:weekly@google.com
SUMMARY:Team call
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20270310
DTEND;VALUE=DATE:20270311
UID:holiday@google.com
SUMMARY:Holiday
END:VEVENT
BEGIN:VEVENT
DTSTART:20270302T130000Z
DTEND:20270302T140000Z
UID:free@google.com
TRANSP:TRANSPARENT
SUMMARY:Reminder (free)
END:VEVENT
BEGIN:VEVENT
DTSTART:20270303T130000Z
DTEND:20270303T140000Z
UID:cancelled@google.com
STATUS:CANCELLED
SUMMARY:Cancelled
END:VEVENT
END:VCALENDAR
"""

# Outlook's published calendar: Windows zone names (no VTIMEZONE for them), and Outlook's
# "Customized Time Zone", defined only by its VTIMEZONE (UTC+3, no summer time).
OUTLOOK = """BEGIN:VCALENDAR
METHOD:PUBLISH
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
X-WR-CALNAME:Calendar
BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0300
TZOFFSETTO:+0300
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:o3@outlook
DTSTART;TZID=Customized Time Zone:20270107T110000
DTEND;TZID=Customized Time Zone:20270107T120000
SUMMARY:Busy
END:VEVENT
BEGIN:VEVENT
UID:o1@outlook
DTSTART;TZID=W. Europe Standard Time:20270105T140000
DTEND;TZID=W. Europe Standard Time:20270105T150000
SUMMARY:Busy
END:VEVENT
BEGIN:VEVENT
UID:o2@outlook
DTSTART;TZID=Pacific Standard Time:20270105T080000
DTEND;TZID=Pacific Standard Time:20270105T090000
SUMMARY:Busy
END:VEVENT
END:VCALENDAR
"""

# A series with an extra date (RDATE), one occurrence moved (RECURRENCE-ID) and a floating time.
OVERRIDES = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:series@test
DTSTART;TZID=Europe/London:20270104T090000
DTEND;TZID=Europe/London:20270104T093000
RRULE:FREQ=DAILY;COUNT=3
RDATE;TZID=Europe/London:20270110T090000
END:VEVENT
BEGIN:VEVENT
UID:series@test
RECURRENCE-ID;TZID=Europe/London:20270105T090000
DTSTART;TZID=Europe/London:20270105T160000
DTEND;TZID=Europe/London:20270105T163000
END:VEVENT
BEGIN:VEVENT
UID:floating@test
DTSTART:20270107T120000
DTEND:20270107T130000
END:VEVENT
END:VCALENDAR
"""


def event_ics(uid: str, start: str, end: str, *, extra: str = "") -> str:
    """One VEVENT in a VCALENDAR (start/end as iCalendar UTC stamps, e.g. 20270105T090000Z)."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
        f"SUMMARY:Consultation\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
