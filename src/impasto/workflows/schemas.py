"""Wire shapes of fal's Workflows operations (``/v1/workflows``), and the updates Impasto
adds (``PATCH`` / ``PUT`` / ``DELETE /v1/workflows/{username}/{workflow_name}``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from impasto.keys.schemas import iso_z
from impasto.kit.fields import TEXT_PATTERN, JsonObject, storable
from impasto.models import Workflow
from impasto.workflows.service import (
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    WORKFLOW_NAME_PATTERN,
    contents_problem,
)

WorkflowName = Annotated[
    str,
    Field(
        max_length=MAX_NAME_LENGTH,
        pattern=WORKFLOW_NAME_PATTERN,
        description="Unique workflow name/slug within the user's namespace",
        examples=["my-image-workflow"],
    ),
]
Title = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TITLE_LENGTH,
        pattern=TEXT_PATTERN,
        description="Human-readable workflow title",
        examples=["My Image Generation Workflow"],
    ),
    AfterValidator(storable),
]


# Text the databases can store, its length checked (and reported) as a string's.
Description = Annotated[
    str, Field(max_length=10_000, pattern=TEXT_PATTERN), AfterValidator(storable)
]
Url = Annotated[str, Field(max_length=2048, pattern=TEXT_PATTERN), AfterValidator(storable)]
Tag = Annotated[
    str, Field(min_length=1, max_length=64, pattern=TEXT_PATTERN), AfterValidator(storable)
]


def _no_null_in_schema(schema: dict[str, Any]) -> None:
    """The document shows the fields of an update as they may be sent: left out, not null."""
    for prop in schema.get("properties", {}).values():
        options = prop.pop("anyOf", None)
        if options is not None:
            kept = [option for option in options if option != {"type": "null"}]
            if len(kept) == 1:
                prop.update(kept[0])
            else:
                prop["anyOf"] = kept


class ContentsSchema(BaseModel):
    """``contents.schema``: the fields of the workflow's input and output."""

    model_config = ConfigDict(extra="allow")

    input: JsonObject = Field(description="Input fields schema")
    output: JsonObject = Field(description="Output fields schema")


class ContentsMetadata(BaseModel):
    """``contents.metadata``: free-form, but what the list and the catalog show is checked."""

    model_config = ConfigDict(extra="allow")

    description: Description | None = Field(
        default=None, description="Brief description of what the workflow does"
    )
    thumbnail_url: Url | None = Field(
        default=None, description="URL to the workflow thumbnail image"
    )
    tags: Annotated[list[Tag], Field(max_length=50)] | None = Field(
        default=None, description="Tags associated with the workflow"
    )


class WorkflowContents(BaseModel):
    """The workflow definition (fal's format), stored as sent; ``nodes`` are checked when it
    is saved (their references, dependencies and the apps they call)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Internal name of the workflow definition")
    version: str = Field(description="Workflow definition format version")
    nodes: dict[str, dict[str, Any]] = Field(description="Workflow nodes keyed by node id")
    output: dict[str, str] = Field(description="Output field mappings keyed by output name")
    schema_: ContentsSchema = Field(
        alias="schema", description="Input/output schema for the workflow"
    )
    metadata: ContentsMetadata | None = Field(
        default=None, description="Optional workflow metadata"
    )

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """Checked before anything walks it: a value nested too deep would break the
        serialiser, one with a lone surrogate could never be sent back."""
        problem = contents_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def stored(self) -> dict[str, Any]:
        """The definition as sent: every field given, extra ones included."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class CreateWorkflowRequest(BaseModel):
    """Request body for creating a new workflow."""

    model_config = ConfigDict(extra="forbid")

    name: WorkflowName
    title: Title
    contents: WorkflowContents
    is_public: bool = Field(default=False, description="Whether the workflow is publicly visible")


class _NoNulls(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_in_schema)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                if item is None:
                    raise ValueError(f"{key} may be left out, not null")
        return value


class UpdateWorkflowRequest(_NoNulls):
    """``PATCH``: the fields given change, the others keep their values. A new ``name``
    renames the workflow (and its endpoint ``workflows/{username}/{name}``)."""

    name: WorkflowName | None = None
    title: Title | None = None
    contents: WorkflowContents | None = None
    is_public: bool | None = Field(
        default=None, description="Whether the workflow is publicly visible"
    )


class ReplaceWorkflowRequest(_NoNulls):
    """``PUT``: the whole workflow as in a create; ``name`` left out keeps the name."""

    name: WorkflowName | None = None
    title: Title
    contents: WorkflowContents
    is_public: bool = Field(default=False, description="Whether the workflow is publicly visible")


class WorkflowDetail(BaseModel):
    """The workflow details."""

    name: str = Field(description="Unique workflow name/slug within the user's namespace")
    title: str = Field(description="Human-readable workflow title")
    user_nickname: str = Field(description="Display name/username of the owner")
    created_at: str = Field(description="ISO8601 timestamp of workflow creation")
    is_public: bool = Field(description="Whether the workflow is publicly visible")
    contents: dict[str, Any] = Field(description="The workflow definition/configuration object")


class WorkflowEnvelope(BaseModel):
    """Response containing a single workflow's details."""

    workflow: WorkflowDetail


class WorkflowItem(BaseModel):
    """Workflow information; ``thumbnail_url`` and ``description`` only when the
    definition's metadata has them."""

    name: str = Field(description="Unique workflow name/slug within the user's namespace")
    title: str = Field(description="Human-readable workflow title")
    user_nickname: str = Field(description="Display name/username of the owner")
    created_at: str = Field(description="ISO8601 timestamp of workflow creation")
    thumbnail_url: str | SkipJsonSchema[None] = Field(
        default=None, description="URL to the workflow thumbnail image"
    )
    description: str | SkipJsonSchema[None] = Field(
        default=None, description="Brief description of what the workflow does"
    )
    tags: list[str] = Field(description="Tags associated with the workflow")
    endpoint_ids: list[str] = Field(description="List of model endpoint IDs used in this workflow")


class WorkflowList(BaseModel):
    """Response containing workflow data with pagination support."""

    workflows: list[WorkflowItem] = Field(description="Array of workflow items")
    next_cursor: str | None = Field(
        description="Cursor for the next page of results, null if no more pages"
    )
    has_more: bool = Field(description="Whether more results are available")
    total: int = Field(description="Total number of workflows matching the query")


def workflow_envelope(workflow: Workflow) -> WorkflowEnvelope:
    return WorkflowEnvelope(
        workflow=WorkflowDetail(
            name=workflow.name,
            title=workflow.title,
            user_nickname=workflow.owner,
            created_at=iso_z(workflow.created_at),
            is_public=workflow.is_public,
            contents=workflow.contents,
        )
    )


def workflow_item(workflow: Workflow) -> WorkflowItem:
    """Built from the fields present only, so the absent optional ones stay unset (and are
    left out with ``response_model_exclude_unset``)."""
    metadata = workflow.contents.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    present: dict[str, Any] = {
        key: metadata[key]
        for key in ("thumbnail_url", "description")
        if isinstance(metadata.get(key), str)
    }
    tags = metadata.get("tags")
    return WorkflowItem(
        name=workflow.name,
        title=workflow.title,
        user_nickname=workflow.owner,
        created_at=iso_z(workflow.created_at),
        tags=[tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else [],
        endpoint_ids=list(workflow.endpoint_ids),
        **present,
    )
