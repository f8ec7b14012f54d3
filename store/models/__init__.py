"""All tables; importing this package registers every model on `Base.metadata`."""

from store.models.base import Base, UTCDateTime
from store.models.calls import CallTimer, PhoneCall
from store.models.core import Alert, Customer, HourBlock, Role, UserProfile

__all__ = [
    "Alert",
    "Base",
    "CallTimer",
    "Customer",
    "HourBlock",
    "PhoneCall",
    "Role",
    "UTCDateTime",
    "UserProfile",
]
