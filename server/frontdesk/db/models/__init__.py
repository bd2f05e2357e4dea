"""The typed ORM models, one module per area; import them from here."""

from frontdesk.db.models.audit import AuditEvent
from frontdesk.db.models.base import Base
from frontdesk.db.models.booking import Booking, Proposal, TimeBlock
from frontdesk.db.models.calendar import (
    CalendarBusy,
    CalendarConnection,
    CalendarSource,
    CalendarWrite,
)
from frontdesk.db.models.chat import Conversation, Message, TokenUsage
from frontdesk.db.models.host import (
    BookingHost,
    Host,
    HostDateOverride,
    HostHours,
    HostTimeOff,
    ServiceHost,
    SiteHost,
)
from frontdesk.db.models.knowledge import Chunk, Document, UnansweredQuestion
from frontdesk.db.models.mail import OutboxEmail
from frontdesk.db.models.site import DateOverride, OpeningHours, Service, Site
from frontdesk.db.models.staff import (
    SiteMembership,
    StaffInvitation,
    StaffSession,
    StaffUser,
)
from frontdesk.db.models.training import (
    EvalCase,
    EvalResult,
    EvalRun,
    FinetuneJob,
    MessageFeedback,
    SiteModelChange,
)

__all__ = [
    "AuditEvent",
    "Base",
    "Booking",
    "BookingHost",
    "CalendarBusy",
    "CalendarConnection",
    "CalendarSource",
    "CalendarWrite",
    "Chunk",
    "Conversation",
    "DateOverride",
    "Document",
    "EvalCase",
    "EvalResult",
    "EvalRun",
    "FinetuneJob",
    "Host",
    "HostDateOverride",
    "HostHours",
    "HostTimeOff",
    "Message",
    "MessageFeedback",
    "OpeningHours",
    "OutboxEmail",
    "Proposal",
    "Service",
    "ServiceHost",
    "Site",
    "SiteHost",
    "SiteMembership",
    "SiteModelChange",
    "StaffInvitation",
    "StaffSession",
    "StaffUser",
    "TimeBlock",
    "TokenUsage",
    "UnansweredQuestion",
]
