"""What a publication will do, said before it is done, and the rule of which publication is official.

Publishing is irreversible (a snapshot is immutable and public at once), so the commission first
sees a confirmation stating what will happen — "12 of 30 units submitted; 18 will be published as
not submitted" — and only a second, confirmed request publishes.

The official result (kind ``snapshot``) is published from the appraisal/council stage on
(campaign status ``appraisal``, ``published`` or ``closed``); while entries are still being
received only a mid-term publication (kind ``midterm``) is possible, and every public page labels
it "sơ kết giữa kỳ – chưa phải kết quả chính thức".
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.extensions import db
from campaign.models import UnitResult
from campaign.services.errors import Conflict, DomainError
from campaign.services.results import publishing
from campaign.services.results.writes import provisional_run
from campaign.services.setup.campaigns import get_campaign

OFFICIAL_STAGES = ("appraisal", "published", "closed")


@dataclass(frozen=True)
class PublishPreview:
    """The figures of the confirmation: who will be ranked, who will appear as not submitted."""

    campaign_id: int
    campaign_name: str
    status: str
    kind: str  # snapshot (official) | midterm (preliminary)
    units: int
    submitted: int
    not_submitted: int
    by_level: dict[int, tuple[int, int]]  # level -> (submitted, not submitted)


def preview(campaign_id: int, kind: str) -> PublishPreview:
    """The confirmation's figures; refuses an official publication before the appraisal stage."""
    if kind not in publishing.KINDS:
        raise DomainError(_("Loại công bố không hợp lệ."))
    c = get_campaign(campaign_id)
    if kind == "snapshot" and c.status not in OFFICIAL_STAGES:
        raise Conflict(_("Kết quả chính thức chỉ được công bố từ giai đoạn thẩm định trở đi; phong trào còn "
                         "đang nhận bài. Hãy công bố sơ kết (giữa kỳ): kết quả sẽ được ghi rõ là chưa chính thức."))
    run = provisional_run(campaign_id)
    if c.is_stale or run is None or run.inputs_version != c.inputs_version:
        raise Conflict(_("Kết quả tạm tính chưa cập nhật; hãy chờ tính lại xong rồi công bố."))
    counts = db.session.execute(
        sa.select(UnitResult.level, UnitResult.status, sa.func.count())
        .where(UnitResult.run_id == run.id).group_by(UnitResult.level, UnitResult.status)).all()
    by_level: dict[int, list[int]] = {}
    for level, status, n in counts:
        by_level.setdefault(level, [0, 0])[0 if status == "ranked" else 1] += n
    submitted = sum(v[0] for v in by_level.values())
    not_submitted = sum(v[1] for v in by_level.values())
    return PublishPreview(c.id, c.name, c.status, kind, submitted + not_submitted, submitted, not_submitted,
                          {lvl: (v[0], v[1]) for lvl, v in sorted(by_level.items())})


def publish_confirmed(campaign_id: int, user_id: int | None, kind: str, label: str = "") -> bool:
    """Publish after the confirmation (the stage rule checked again); True when queued for the worker."""
    preview(campaign_id, kind)
    return publishing.request_publish(campaign_id, user_id, kind, label)


def publish_now(campaign_id: int, user_id: int | None, kind: str, label: str = "") -> int:
    """Publish in this process (``flask publish``) under the same stage rule as the web; the new run's id."""
    preview(campaign_id, kind)
    return publishing.publish(campaign_id, user_id=user_id, kind=kind, label=label)
