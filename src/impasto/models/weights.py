"""Installed model weights and the fal endpoint ids they are served under.

A row in ``installed_models`` exists only once its files are complete and verified, so
every worker reading the table sees nothing half-installed. ``path`` is where the weights
are on this deployment's disk: a snapshot folder in the Hugging Face cache (pulled, or an
existing cache reused), an imported diffusers folder, or a single ``.safetensors`` file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class InstalledModel(Base):
    __tablename__ = "installed_models"

    # The Hub repo id for a pull (``org/name``), or the name given to an import.
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # hub | folder | file
    repo_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # The revision asked for (branch, tag or commit) and the commit it resolved to.
    revision: Mapped[str | None] = mapped_column(String(200), default=None)
    commit_sha: Mapped[str | None] = mapped_column(String(64), default=None)
    family: Mapped[str] = mapped_column(String(32))  # sd15 | sdxl | sd3 | flux | ...
    pipeline_class: Mapped[str] = mapped_column(String(128))
    variant: Mapped[str | None] = mapped_column(String(16), default=None)  # fp16 ...
    path: Mapped[str] = mapped_column(String(4096))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # The weights belong to the deployment, not to Impasto: an import never deletes them.
    owned: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModelAlias(Base):
    """``fal-ai/flux/dev`` served by an installed model, for one task."""

    __tablename__ = "model_aliases"

    endpoint_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # RESTRICT: a model some endpoint serves cannot disappear under it.
    model_name: Mapped[str] = mapped_column(
        ForeignKey("installed_models.name", ondelete="RESTRICT"), index=True
    )
    task: Mapped[str] = mapped_column(String(32))  # text-to-image | image-to-image | ...
    # Where this endpoint's model runs (cuda:1, cpu...); None: chosen per machine.
    device: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
