"""Booking e-mails as MIME messages: plain text, an HTML alternative and the .ics invitation."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from frontdesk.booking.event_text import one_line
from frontdesk.booking.time_words import beside, moment_words
from frontdesk.booking.zones import zones_differ
from frontdesk.db.types import utcnow
from frontdesk.i18n import text

log = logging.getLogger("frontdesk.mail")  # the outbox's logger: one place to watch for mail

# An event's words in frontdesk.i18n: mailSubjectCreated, mailCreated...
EVENT_NAMES = {
    "created": "Created",
    "rescheduled": "Rescheduled",
    "cancelled": "Cancelled",
    "link": "Link",
}
STAFF_SUBJECTS = {"created": "New booking", "rescheduled": "Rescheduled", "cancelled": "Cancelled"}


@dataclass(frozen=True)
class OutgoingMessage:
    """A fully built MIME message for one recipient."""

    recipient: str
    subject: str
    data: bytes


def _when(moment: datetime, tz_name: str, lang: str = "en") -> str:
    """ "Tuesday 8 December 2026, 2:30 pm (London time)", the clock as the reader's locale has it."""
    return moment_words(moment, tz_name, lang)


def _visitor_text(booking, site, event: str, manage_url: str, ics_url: str, lang: str) -> str:
    """The visitor's e-mail in their language (frontdesk.i18n strings, CLDR dates)."""
    names = {
        "service": booking.service.name,
        "business": site.name,
        "when": _when(booking.start, booking.visitor_tz, lang),
    }
    event_name = EVENT_NAMES[event]
    lines = [
        text(lang, "mailHi", name=one_line(booking.visitor_name)),
        "",
        text(lang, f"mail{event_name}", **names),
    ]
    if theirs := beside(booking.start, booking.visitor_tz, site.timezone, lang):
        lines.append(text(lang, "mailBeside", theirs=theirs, business=site.name))
    if event != "cancelled":
        lines += ["", text(lang, "mailManage", url=manage_url)]
        lines.append(text(lang, "mailCalendar", url=ics_url))
    lines += ["", text(lang, "mailReference", reference=booking.public_id), "", f"-- {site.name}"]
    return "\n".join(lines)


def _staff_text(booking, site, event: str) -> str:
    verb = {"created": "New booking", "rescheduled": "Booking moved", "cancelled": "Cancelled"}
    lines = [
        f"{verb[event]}: {booking.service.name}, {_when(booking.start, site.timezone)}",
        "",
        f"Visitor: {one_line(booking.visitor_name)}"
        + (f" <{booking.email}>" if booking.email else " (no e-mail address)"),
    ]
    if booking.phone:
        lines.append(f"Phone: {one_line(booking.phone)}")
    if zones_differ(booking.visitor_tz, site.timezone):
        lines.append(f"Visitor's time: {_when(booking.start, booking.visitor_tz)}")
    if booking.notes:
        lines += ["", "Notes:", booking.notes[:2000]]
    if event == "cancelled" and booking.cancel_reason:
        lines += ["", f"Reason: {booking.cancel_reason[:1000]}"]
    lines += ["", f"Reference: {booking.public_id}"]
    return "\n".join(lines)


def _as_html(text: str, links: tuple[str, ...] = ()) -> str:
    """A simple HTML alternative: the text, escaped, in paragraphs; our own links made clickable."""
    paragraphs = [html.escape(block).replace("\n", "<br>\n") for block in text.split("\n\n")]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    for link in links:  # only URLs we built ourselves, never visitor text
        escaped = html.escape(link)
        body = body.replace(escaped, f'<a href="{escaped}">{escaped}</a>')
    return f'<!doctype html>\n<html><body style="font-family:sans-serif">\n{body}\n</body></html>\n'


def _mime(
    *,
    sender: str,
    to: Address,
    reply_to: str | None,
    subject: str,
    text: str,
    ics: bytes,
    method: str,
    links: tuple[str, ...] = (),
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = one_line(subject, 250)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=(parseaddr(sender)[1].rpartition("@")[2] or None))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(_as_html(text, links), subtype="html", cte="quoted-printable")
    msg.add_attachment(
        ics,
        maintype="text",
        subtype="calendar",
        filename="invite.ics",
        params={"method": method, "charset": "utf-8"},
    )
    return msg


def _from_business(mail_from: str, business: str) -> str:
    """The server's sending address under the business's name: the visitor booked with
    "Harbour & Pixel", not with "Frontdesk" (the address, and so SPF/DKIM, stay the server's)."""
    address = parseaddr(mail_from)[1]
    try:
        return str(Address(one_line(business, 100), addr_spec=address)) if address else mail_from
    except (ValueError, TypeError):  # a name or address the header cannot carry: as configured
        return mail_from


def booking_messages(
    *, booking, site, event: str, manage_url: str, ics_url: str, mail_from: str, lang: str = "en"
) -> list[OutgoingMessage]:
    """The visitor's e-mail and, when the site has a notification address, the business's."""
    from frontdesk.booking.ics import booking_ics  # icalendar: not at a server's start

    ics = booking_ics(booking, site, manage_url=manage_url)
    method = "CANCEL" if booking.status == "cancelled" else "REQUEST"
    service = booking.service.name
    plans = []
    if booking.email:  # a booking staff took by phone may have no e-mail address
        plans.append(
            (
                _from_business(mail_from, site.name),
                booking.visitor_name,
                booking.email,
                site.notification_email,
                text(
                    lang,
                    f"mailSubject{EVENT_NAMES[event]}",
                    service=service,
                    when=_when(booking.start, booking.visitor_tz, lang),
                ),
                _visitor_text(booking, site, event, manage_url, ics_url, lang),
            )
        )
    if site.notification_email and event in STAFF_SUBJECTS:  # a new link is the visitor's
        when = _when(booking.start, site.timezone)
        plans.append(
            (
                mail_from,
                site.name,
                site.notification_email,
                booking.email,
                f"{STAFF_SUBJECTS[event]}: {service}, {when} - {booking.visitor_name}",
                _staff_text(booking, site, event),
            )
        )
    out = []
    for sender, name, address, reply_to, subject, body in plans:
        try:
            to = Address(one_line(name), addr_spec=address)
            msg = _mime(
                sender=sender,
                to=to,
                reply_to=reply_to,
                subject=subject,
                text=body,
                ics=ics,
                method=method,
                links=(manage_url, ics_url),
            )
            out.append(OutgoingMessage(address, one_line(subject, 300), msg.as_bytes()))
        except (ValueError, TypeError) as exc:  # a malformed address must never block the booking
            log.error(
                "cannot build e-mail for booking %s to %r: %s", booking.public_id, address, exc
            )
    return out
