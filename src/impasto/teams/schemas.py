"""fal's organization bodies (Platform API: Organization)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Team(BaseModel):
    username: str = Field(description="The team's account (owner) name")
    name: str = Field(description="Display name")
    is_org_root: bool = Field(description="Whether this team is the organization's root")
    created_at: str = Field(description="When it joined the organization (ISO 8601, UTC)")


class Teams(BaseModel):
    teams: list[Team]
