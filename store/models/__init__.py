"""All tables; importing this package registers every model on `Base.metadata`."""

from store.models.base import Base, UTCDateTime
from store.models.core import Alert, Customer, HourBlock, Role, UserProfile
from store.models.sla import SlaPolicyMark, Ticket, TicketEventRecord

__all__ = [
    "Alert",
    "Base",
    "Customer",
    "HourBlock",
    "Role",
    "SlaPolicyMark",
    "Ticket",
    "TicketEventRecord",
    "UTCDateTime",
    "UserProfile",
]
