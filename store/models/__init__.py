"""All tables; importing this package registers every model on `Base.metadata`."""

from store.models.base import Base, UTCDateTime
from store.models.bookings import Booking, BookingEngineer, BookingMove
from store.models.calls import CallTimer, PhoneCall
from store.models.core import AdminChange, Alert, Customer, HourBlock, Role, UserProfile
from store.models.corrections import Correction
from store.models.policy import PolicyVersionRecord
from store.models.requests import SeenRequest
from store.models.sla import SlaPolicyMark, Ticket, TicketEventRecord
from store.models.statements import IssuedStatement
from store.models.time_entries import TimeEntry

__all__ = [
    "AdminChange",
    "Alert",
    "Base",
    "Booking",
    "BookingEngineer",
    "BookingMove",
    "CallTimer",
    "Correction",
    "Customer",
    "HourBlock",
    "IssuedStatement",
    "PhoneCall",
    "PolicyVersionRecord",
    "Role",
    "SeenRequest",
    "SlaPolicyMark",
    "Ticket",
    "TicketEventRecord",
    "TimeEntry",
    "UTCDateTime",
    "UserProfile",
]
