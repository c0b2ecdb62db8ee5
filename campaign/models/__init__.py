"""All models, re-exported so ``from campaign.models import Entry`` works."""
from .accounts import Invitation, Notification, NotificationCursor
from .audit import AuditLog, AuditLogImmutable
from .campaigns import (
    CAMPAIGN_STATUSES,
    Campaign,
    CampaignUnit,
    DeadlineExtension,
    Framework,
    FrameworkVersion,
    IndicatorNode,
    StatusChange,
)
from .entries import (
    ENTRY_STATUSES,
    ClarificationRequest,
    Entry,
    EntryVersion,
    EvidenceFile,
    IndicatorValue,
)
from .judging import Assignment, ConflictDeclaration, JudgeScore, Override, PanelMember
from .results import RUN_KINDS, EntryNodeScore, LedgerChange, MapLayer, ScoreRun, UnitResult
from .units import LINEAGE_EVENTS, UNIT_LEVELS, Cluster, ClusterMember, Unit, UnitLineage
from .users import ROLES, User

__all__ = [
    "AuditLog", "AuditLogImmutable", "CAMPAIGN_STATUSES", "Campaign", "CampaignUnit",
    "DeadlineExtension", "Framework", "FrameworkVersion", "IndicatorNode", "StatusChange",
    "ENTRY_STATUSES", "ClarificationRequest", "Entry", "EntryVersion", "EvidenceFile",
    "IndicatorValue", "EntryNodeScore", "LedgerChange", "Assignment", "ConflictDeclaration", "JudgeScore", "Override",
    "PanelMember", "RUN_KINDS", "MapLayer", "ScoreRun", "UnitResult", "UNIT_LEVELS",
    "Cluster", "ClusterMember", "Unit", "UnitLineage", "LINEAGE_EVENTS", "ROLES", "User",
    "Invitation", "Notification", "NotificationCursor",
]
