"""Who the customers are, what they did, and whom a campaign addresses.

One module per part; import models from here (``from campaigns.models import Contact``).
"""

from .activity import Event, EventKind, GroupPrice, Order, OrderLine, OrderSource
from .audience import (
    Account,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    IgnoredFeedback,
    IgnoredFeedbackReason,
    PhaseChange,
    Salutation,
    SizeClass,
    Suppression,
    SuppressionReason,
    email_hash,
    normalise_email,
)
from .campaign import (
    ARM_LABELS,
    AttributionBasis,
    AttributionScope,
    Campaign,
    CampaignArm,
    CampaignContent,
    CampaignStatus,
    Delivery,
    DeliveryState,
    ScheduleMode,
    WinnerMetric,
)
from .imports import ImportJob, ImportKind, ImportStatus
from .journey import JourneyRule
from .results import CampaignDayStats, CreditKind, DeliveryStateCount, OrderCredit
from .segments import Segment, SegmentKind, SegmentMember, SegmentSnapshot, SnapshotMember
from .sync import SyncState

__all__ = [
    "ARM_LABELS",
    "Account",
    "AttributionBasis",
    "AttributionScope",
    "Campaign",
    "CampaignArm",
    "CampaignContent",
    "CampaignDayStats",
    "CampaignStatus",
    "ConsentKind",
    "ConsentRecord",
    "ConsentState",
    "Contact",
    "CreditKind",
    "Delivery",
    "DeliveryState",
    "DeliveryStateCount",
    "Event",
    "EventKind",
    "GroupPrice",
    "IgnoredFeedback",
    "IgnoredFeedbackReason",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "JourneyRule",
    "Order",
    "OrderCredit",
    "OrderLine",
    "OrderSource",
    "PhaseChange",
    "Salutation",
    "ScheduleMode",
    "Segment",
    "SegmentKind",
    "SegmentMember",
    "SegmentSnapshot",
    "SizeClass",
    "SnapshotMember",
    "Suppression",
    "SuppressionReason",
    "SyncState",
    "WinnerMetric",
    "email_hash",
    "normalise_email",
]
