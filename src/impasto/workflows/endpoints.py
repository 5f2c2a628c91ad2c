"""fal's Workflows operations (``GET/POST /v1/workflows``, ``GET /v1/workflows/{username}/
{workflow_name}``) and the owner's ``PATCH``, ``PUT`` and ``DELETE`` of one workflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from impasto.deps import CursorsDep
from impasto.keys.auth import ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.workflows.deps import ReadWorkflows, WriteWorkflows
from impasto.workflows.schemas import (
    CreateWorkflowRequest,
    ReplaceWorkflowRequest,
    UpdateWorkflowRequest,
    WorkflowEnvelope,
    WorkflowList,
    workflow_envelope,
    workflow_item,
)
from impasto.workflows.service import (
    MAX_NAME_LENGTH,
    MAX_PAGE,
    WORKFLOW_NAME_PATTERN,
    Changes,
    WorkflowQuery,
)

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/workflows",
    tags=["Workflows"],
    responses=ERROR_RESPONSES,
)

Username = Annotated[
    str,
    Path(
        max_length=MAX_NAME_LENGTH,
        pattern=WORKFLOW_NAME_PATTERN,
        description="The username of the workflow owner",
    ),
]
WorkflowName = Annotated[
    str,
    Path(
        max_length=MAX_NAME_LENGTH,
        pattern=WORKFLOW_NAME_PATTERN,
        description="The workflow name/slug",
    ),
]


@router.get(
    "",
    operation_id="listWorkflows",
    summary="List user workflows",
    response_model_exclude_unset=True,
)
def list_workflows(
    principal: ApiPrincipal,
    service: ReadWorkflows,
    cursors: CursorsDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Maximum number of items to return")
    ] = 50,
    cursor: Annotated[
        str | None, Query(description="Pagination cursor from previous response")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=256, description="Search by workflow name or title")
    ] = None,
    used_endpoint_ids: Annotated[
        list[str] | None,
        Query(
            description="Filter by model endpoint IDs used in the workflow (any of them): "
            "repeated or comma-separated"
        ),
    ] = None,
) -> WorkflowList:
    """The caller's own workflows, newest first: only workflows owned by the authenticated
    user, public or not."""
    page = service.browse(
        WorkflowQuery(
            owner=principal.owner,
            search=search,
            used_endpoint_ids=used_endpoint_ids,
            limit=limit,
            cursor=cursor,
        ),
        cursors,
    )
    return WorkflowList(
        workflows=[workflow_item(workflow) for workflow in page.workflows],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
        total=page.total,
    )


@router.post(
    "",
    operation_id="createWorkflow",
    summary="Create a workflow",
    status_code=status.HTTP_201_CREATED,
)
def create_workflow(
    body: CreateWorkflowRequest, principal: ApiPrincipal, service: WriteWorkflows
) -> WorkflowEnvelope:
    """A new workflow owned by the caller, callable as `workflows/{username}/{name}`.
    Names are unique within the caller's namespace: a name already used is a 400. Every
    node's app must be an endpoint the caller may call."""
    workflow = service.create(
        principal.owner,
        name=body.name,
        title=body.title,
        contents=body.contents.stored(),
        is_public=body.is_public,
    )
    return workflow_envelope(workflow)


@router.get(
    "/{username}/{workflow_name}",
    operation_id="getWorkflow",
    summary="Get workflow details",
)
def get_workflow(
    username: Username,
    workflow_name: WorkflowName,
    principal: ApiPrincipal,
    service: ReadWorkflows,
) -> WorkflowEnvelope:
    """A workflow with its full contents: the caller's own, or another user's public one."""
    return workflow_envelope(service.get(principal.owner, username, workflow_name))


@router.patch(
    "/{username}/{workflow_name}",
    operation_id="updateWorkflow",
    summary="Update a workflow",
)
def update_workflow(
    username: Username,
    workflow_name: WorkflowName,
    body: UpdateWorkflowRequest,
    principal: ApiPrincipal,
    service: WriteWorkflows,
) -> WorkflowEnvelope:
    """Change the fields given (`name`, `title`, `contents`, `is_public`); only the owner
    may. A new name renames the workflow's endpoint."""
    changes = Changes(
        name=body.name,
        title=body.title,
        contents=body.contents.stored() if body.contents is not None else None,
        is_public=body.is_public,
    )
    return workflow_envelope(service.update(principal.owner, username, workflow_name, changes))


@router.put(
    "/{username}/{workflow_name}",
    operation_id="replaceWorkflow",
    summary="Replace a workflow",
)
def replace_workflow(
    username: Username,
    workflow_name: WorkflowName,
    body: ReplaceWorkflowRequest,
    principal: ApiPrincipal,
    service: WriteWorkflows,
) -> WorkflowEnvelope:
    """Replace title, contents and visibility (`is_public` left out is false); `name` left
    out keeps the name. Only the owner may."""
    changes = Changes(
        name=body.name,
        title=body.title,
        contents=body.contents.stored(),
        is_public=body.is_public,
    )
    return workflow_envelope(service.update(principal.owner, username, workflow_name, changes))


@router.delete(
    "/{username}/{workflow_name}",
    operation_id="deleteWorkflow",
    summary="Delete a workflow",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_workflow(
    username: Username,
    workflow_name: WorkflowName,
    principal: ApiPrincipal,
    service: WriteWorkflows,
) -> Response:
    """Delete the caller's workflow and its catalog entry. Runs already made keep their
    request records and the definition they ran with."""
    service.delete(principal.owner, username, workflow_name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
