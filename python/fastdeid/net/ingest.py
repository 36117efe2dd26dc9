"""`ingest ... --to URL`: ingest into the destination's outbox (the usual
group/project/subject/session/acquisition layout, which the archive does not see), then deliver
everything the outbox holds. A rerun de-identifies again and resends: harmless, the archive keeps
one copy of each instance (same de-identified UIDs)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..ingest.items import Item
from ..ingest.runner import IngestReport, ingest
from ..profile.load import Profile
from .deliver import deliver
from .outbox import Delivery, make_private_dir, outbox_root, queued
from .url import parse_destination

INGEST_FOLDER = "ingest"  # below the destination's outbox: what ingests left queued


@dataclass
class NetIngestReport:
    """An ingest to a network destination: the ingest's report and what the sender did."""

    ingest: IngestReport
    delivery: Delivery
    outbox: Path


def ingest_folder(url: str, outbox: str | os.PathLike[str] | None = None) -> Path:
    """Where `ingest --to URL` writes before sending (also where a project's stored profile is)."""
    folder = outbox_root(parse_destination(url), outbox) / INGEST_FOLDER
    make_private_dir(folder)
    return folder


def ingest_to_network(
    items: list[Item],
    url: str,
    group: str,
    project: str,
    profile: Profile,
    *,
    outbox: str | os.PathLike[str] | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    **ingest_settings: Any,
) -> NetIngestReport:
    """Ingests ITEMS into URL's outbox and delivers everything queued there; takes `ingest`'s options."""
    dest = parse_destination(url)
    root = outbox_root(dest, outbox)
    report = ingest(items, ingest_folder(url, outbox), group, project, profile, **ingest_settings)
    delivery = (
        Delivery() if ingest_settings.get("dry_run") else deliver(dest, queued(root), retries=retries, backoff=backoff)
    )
    return NetIngestReport(report, delivery, root)
