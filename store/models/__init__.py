"""All tables; importing this package registers every model on `Base.metadata`."""

from store.models.audit import AuditEntry
from store.models.base import Base, UTCDateTime
from store.models.bookings import Booking, BookingEngineer, BookingMove
from store.models.calls import CallTimer, PhoneCall
from store.models.core import Alert, Customer, HourBlock, Role, UserProfile
from store.models.pacing import SlackPacing
from store.models.policy import PolicyVersionRecord
from store.models.requests import SeenRequest
from store.models.sla import SlaPolicyMark, Ticket, TicketEventRecord
from store.models.statements import IssuedStatement
from store.models.time_entries import LedgerChange, TimeEntry

__all__ = [
    "Alert",
    "AuditEntry",
    "Base",
    "Booking",
    "BookingEngineer",
    "BookingMove",
    "CallTimer",
    "Customer",
    "HourBlock",
    "IssuedStatement",
    "LedgerChange",
    "PhoneCall",
    "PolicyVersionRecord",
    "Role",
    "SeenRequest",
    "SlackPacing",
    "SlaPolicyMark",
    "Ticket",
    "TicketEventRecord",
    "TimeEntry",
    "UTCDateTime",
    "UserProfile",
]
