"""Score runs (provisional, what-if, published snapshots) and per-unit results."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, utcnow

RUN_KINDS = ("provisional", "snapshot", "midterm", "whatif")


class EntryNodeScore(db.Model):
    """An entry's points summed per framework node (over that node's own indicators).

    The recompute's input ledger: each indicator's effective points (the judges' aggregate
    where judges scored it, else the rule's points) clamped, summed per parent node, plus
    what intervals and disagreement flags need. Rows of an entry are rewritten in the same
    transaction as any change to that entry's values or judges' scores
    (:func:`campaign.services.results.ledger.refresh_entries`), so a recompute reads ~16 rows per
    entry instead of every value and every judge's score.
    """

    __tablename__ = "entry_node_score"
    # SQLite: rows clustered by primary key, so a campaign's rows are one contiguous range scan.
    __table_args__ = {"sqlite_with_rowid": False}

    # Derived rows, rebuilt wholesale: no foreign keys (checking three per row made a
    # PostgreSQL rebuild of 160,000 rows 4× slower; campaigns and entries are never deleted).
    campaign_id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(primary_key=True)  # IndicatorNode holding the indicators
    points: Mapped[float] = mapped_column(sa.Float)
    points_low: Mapped[float] = mapped_column(sa.Float)  # judges' lowest marks (score intervals)
    points_high: Mapped[float] = mapped_column(sa.Float)  # judges' highest marks
    judged: Mapped[int] = mapped_column(default=0)  # indicators scored by judges
    spread: Mapped[float] = mapped_column(sa.Float, default=0.0)  # widest judges' disagreement


class LedgerChange(db.Model):
    """An entry whose ledger rows a change rewrote, and the campaign's inputs version of that change.

    A worker keeps a copy of a campaign's ledger in memory (``results.ledger_cache``); after one
    change it reads only the rows of the entries listed here with a newer version, instead of the
    whole ledger (1,600,000 rows at 100,000 units). One row per entry (rewritten by each change);
    a campaign-wide rebuild of the ledger deletes them (its new ``Campaign.ledger_token`` tells
    every copy to read the ledger again).
    """

    __tablename__ = "ledger_change"
    __table_args__ = (sa.Index("ix_ledger_change_campaign_version", "campaign_id", "version"),)

    campaign_id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]


class ScoreRun(db.Model):
    """A computed result set. Snapshots (published) are immutable once written."""

    __tablename__ = "score_run"
    __table_args__ = (sa.Index("ix_score_run_campaign_kind", "campaign_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="provisional")
    status: Mapped[str] = mapped_column(sa.String(16), default="done")  # running|done|failed
    inputs_version: Mapped[int] = mapped_column(default=0)
    inputs_digest: Mapped[str | None] = mapped_column(sa.String(64))
    framework_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("framework_version.id"))
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Normalised judging: the z-score statistics the run used (scoring.aggregate.ZStats.as_json);
    # explanations rebuild an entry's normalised marks from them (results.judged.entry_detail).
    normalisation: Mapped[dict | None] = mapped_column(JSONType)
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    previous_snapshot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("score_run.id"))

    results: Mapped[list[UnitResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )


RESULT_STATUSES = ("ranked", "not_submitted")


class UnitResult(db.Model):
    """One unit's figures in a run.

    ``status`` says whether the unit competes in this run:

    * ``"ranked"``: its entry was submitted (or it is a roll-up district with communes): it has a
      ``rank``, ``rank_in_cluster`` (None outside every cluster), a ``band`` and maybe an ``award``.
    * ``"not_submitted"``: no entry, or an entry still a draft ("Chưa nộp"). ``rank``,
      ``rank_in_cluster``, ``band`` and ``award`` are None and ``tied`` is False. In the
      provisional run ``total``/``own_total``/``group_scores`` hold the draft's figures (0 without
      an entry) for the commission's view, to be labelled as a draft; in published runs
      (snapshot, midterm) ``total`` is 0, ``own_total`` None and ``group_scores`` empty: a draft's
      score is never published.
    """

    __tablename__ = "unit_result"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "unit_id"),
        sa.Index("ix_unit_result_run_level_total", "run_id", "level", "total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("score_run.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    cluster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cluster.id"))
    total: Mapped[float] = mapped_column(sa.Float)
    own_total: Mapped[float | None] = mapped_column(sa.Float)  # before roll-up
    self_total: Mapped[float | None] = mapped_column(sa.Float)
    rank: Mapped[int | None]
    rank_in_cluster: Mapped[int | None]
    tied: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="ranked", server_default="ranked")  # RESULT_STATUSES
    band: Mapped[str | None] = mapped_column(sa.String(32))
    award: Mapped[str | None] = mapped_column(sa.String(32))
    group_scores: Mapped[dict] = mapped_column(JSONType, default=dict)
    interval_low: Mapped[float | None] = mapped_column(sa.Float)
    interval_high: Mapped[float | None] = mapped_column(sa.Float)
    flagged: Mapped[bool] = mapped_column(default=False)  # judge disagreement
    explanation: Mapped[dict | None] = mapped_column(JSONType)
    # Failed conditions and criteria met, for the band's reason where the explanation is not loaded
    # (public board, results tables): {"conditions": [...], "criteria_met": 7, "criteria": 9} (issue 16).
    band_note: Mapped[dict | None] = mapped_column(JSONType)
    # The full row's signature (scoring.signatures): a recompute rewrites only the rows whose
    # signature changed, whichever worker wrote them (issue 18). NULL: written before it was kept.
    row_hash: Mapped[int | None] = mapped_column(sa.BigInteger)

    run: Mapped[ScoreRun] = relationship(back_populates="results")


class MapLayer(db.Model):
    """A validated GeoJSON of district boundaries uploaded by an admin."""

    __tablename__ = "map_layer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    geojson: Mapped[dict] = mapped_column(JSONType)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
