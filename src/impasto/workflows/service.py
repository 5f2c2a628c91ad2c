"""Workflow rules: names, who reads and who changes what, what a definition may call, and
the catalog entry that makes a workflow callable as ``workflows/{owner}/{name}``.

A workflow belongs to its owner: only they list, change or delete it. A public one may be
read (and called) by anyone; another owner's private one does not exist for the caller,
which is a 404 whatever they try. No FastAPI here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from impasto.catalog.repository import CatalogRepository
from impasto.catalog.service import CatalogService
from impasto.catalog.spec import EntrySpec, is_endpoint_id
from impasto.kit.clock import Clock
from impasto.kit.comma_lists import split_commas
from impasto.kit.cursors import Cursors, KeyType
from impasto.kit.errors import InvalidRequest, NotFound, PermissionDenied
from impasto.kit.ids import IdGenerator
from impasto.kit.names import split_namespace
from impasto.kit.text import FlawKind, describe_flaw, is_storable, json_flaw
from impasto.models import Workflow
from impasto.runs.deployments.service import DeploymentService
from impasto.workflows.definition import Definition, DefinitionInvalid, parse_definition
from impasto.workflows.engine import NAMESPACE, workflow_endpoint_id
from impasto.workflows.repository import WorkflowFilter, WorkflowRepository

WORKFLOW_NAME_PATTERN = r"^[a-zA-Z0-9_-]+$"
MAX_NAME_LENGTH = 128
MAX_TITLE_LENGTH = 256
MAX_CONTENTS_BYTES = 1 << 20  # the definition as compact JSON
MAX_CONTENTS_DEPTH = 100  # arrays and objects in one another: room for an app's 64 and more
MAX_USED_ENDPOINT_IDS = 50
MAX_PAGE = 100
PAGE_KEY: list[KeyType] = ["datetime", "str"]
CATEGORY = "workflow"
_DISPLAY_NAME_LENGTH = 255  # the catalog's


@dataclass(frozen=True, slots=True)
class Changes:
    """What an update sets; None leaves a field as it is."""

    name: str | None = None
    title: str | None = None
    contents: dict[str, Any] | None = None
    is_public: bool | None = None


@dataclass(frozen=True, slots=True)
class WorkflowQuery:
    """fal's ``GET /v1/workflows`` parameters for one owner."""

    owner: str
    search: str | None = None
    used_endpoint_ids: Sequence[str] | None = None  # repeated or comma-separated
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class WorkflowPage:
    workflows: list[Workflow]
    next_cursor: str | None
    total: int


class WorkflowService:
    def __init__(self, session: Session, clock: Clock, ids: IdGenerator, *, operator: str) -> None:
        self._session = session
        self._repo = WorkflowRepository(session)
        self._clock = clock
        self._ids = ids
        self._catalog = CatalogService(session, clock, operator=operator)
        self._deployments = DeploymentService(session, clock, operator=operator)

    # writing

    def create(
        self, owner: str, *, name: str, title: str, contents: dict[str, Any], is_public: bool
    ) -> Workflow:
        if self._repo.by_name(owner, name) is not None:
            raise InvalidRequest(_taken(name))
        definition, endpoint_ids = self._checked(owner, contents)
        now = self._clock.now()
        CatalogRepository(self._session).ensure_account(owner, now)
        workflow = Workflow(
            workflow_id=self._ids.new(),
            owner=owner,
            name=name,
            title=title,
            is_public=is_public,
            contents=contents,
            endpoint_ids=endpoint_ids,
            created_at=now,
            updated_at=now,
        )
        self._save(workflow)
        self._register(workflow, definition)
        return workflow

    def update(self, caller: str, username: str, name: str, changes: Changes) -> Workflow:
        """The owner's changes; a new name moves the workflow's endpoint (and its catalog
        entry) to ``workflows/{owner}/{new name}``."""
        workflow = self._owned(caller, username, name)
        old_endpoint_id = workflow_endpoint_id(workflow.owner, workflow.name)
        # Everything is checked before anything changes.
        new_name = changes.name if changes.name is not None else workflow.name
        if new_name != workflow.name and self._repo.by_name(workflow.owner, new_name) is not None:
            raise InvalidRequest(_taken(new_name))
        if changes.contents is not None:
            definition, endpoint_ids = self._checked(workflow.owner, changes.contents)
            workflow.contents = changes.contents
            workflow.endpoint_ids = endpoint_ids
        else:
            definition = parse_definition(workflow.contents)  # checked when it was saved
        workflow.name = new_name
        if changes.title is not None:
            workflow.title = changes.title
        if changes.is_public is not None:
            workflow.is_public = changes.is_public
        workflow.updated_at = self._clock.now()
        self._save(workflow)
        if workflow_endpoint_id(workflow.owner, workflow.name) != old_endpoint_id:
            self._unregister(old_endpoint_id)
        self._register(workflow, definition)
        return workflow

    def delete(self, caller: str, username: str, name: str) -> None:
        workflow = self._owned(caller, username, name)
        self._unregister(workflow_endpoint_id(workflow.owner, workflow.name))
        self._repo.delete(workflow)

    # reading

    def get(self, viewer: str, username: str, name: str) -> Workflow:
        """The viewer's own workflow, or anyone's public one."""
        workflow = self._repo.by_name(username, name)
        if workflow is None or not (workflow.is_public or workflow.owner == viewer):
            raise NotFound(_missing(username, name))
        return workflow

    def browse(self, query: WorkflowQuery, cursors: Cursors) -> WorkflowPage:
        """The owner's workflows, newest first; ``total`` counts every page."""
        search = (query.search or "").strip() or None
        if search is not None and not is_storable(search):
            raise InvalidRequest("search must not contain control characters")
        used: list[str] | None = None
        if query.used_endpoint_ids is not None:
            wanted = list(dict.fromkeys(split_commas(query.used_endpoint_ids)))
            if len(wanted) > MAX_USED_ENDPOINT_IDS:
                raise InvalidRequest(
                    f"used_endpoint_ids accepts at most {MAX_USED_ENDPOINT_IDS} ids, "
                    f"got {len(wanted)}"
                )
            # An id no endpoint can have matches nothing; none given filters nothing.
            used = [i for i in wanted if is_endpoint_id(i)] if wanted else None
        where = WorkflowFilter(owner=query.owner, search=search, endpoint_ids=used)
        bound = {
            "owner": query.owner,
            "search": search,
            "used": None if used is None else sorted(used),
        }
        after = None
        if query.cursor:
            at, workflow_id = cursors.read(query.cursor, bound, PAGE_KEY)
            after = (at, workflow_id)
        rows = self._repo.page(where, after=after, limit=query.limit + 1)
        next_cursor = None
        if len(rows) > query.limit:
            rows = rows[: query.limit]
            last = rows[-1]
            next_cursor = cursors.issue(bound, [last.created_at, last.workflow_id])
        return WorkflowPage(workflows=rows, next_cursor=next_cursor, total=self._repo.count(where))

    # helpers

    def _owned(self, caller: str, username: str, name: str) -> Workflow:
        workflow = self.get(caller, username, name)
        if workflow.owner != caller:
            raise PermissionDenied(
                f"workflow {username}/{name} is public, but only its owner may change it"
            )
        return workflow

    def _checked(self, owner: str, contents: dict[str, Any]) -> tuple[Definition, list[str]]:
        """The definition, and the endpoints its nodes call, once everything in it is
        allowed: its size, its shape (``parse_definition``) and every node's app, which
        must be an endpoint the owner may call. Whether another owner's private app exists
        is never told."""
        problem = contents_problem(contents)
        if problem is not None:
            raise InvalidRequest(f"contents: {problem}")
        definition = parse_definition(contents)
        endpoint_ids: set[str] = set()
        for node in definition.nodes.values():
            if split_namespace(node.app)[0] == NAMESPACE:
                raise DefinitionInvalid(
                    f"node {node.node_id!r}: app {node.app!r} is a workflow, and a node "
                    "cannot run a workflow"
                )
            try:
                endpoint_id: str | None = self._deployments.resolve(node.app).endpoint_id
            except NotFound:
                endpoint_id = None
            if endpoint_id is None or not self._catalog.may_call(owner, endpoint_id):
                raise DefinitionInvalid(
                    f"node {node.node_id!r}: app {node.app!r} does not exist or you may not call it"
                )
            endpoint_ids.add(endpoint_id)
        return definition, sorted(endpoint_ids)

    def _save(self, workflow: Workflow) -> None:
        try:
            self._repo.save(workflow)
        except IntegrityError:  # a concurrent save took the name first
            raise InvalidRequest(_taken(workflow.name)) from None

    def _register(self, workflow: Workflow, definition: Definition) -> None:
        """The workflow's catalog entry: what ``GET /v1/models`` shows and the queue checks
        callers against (private unless the workflow is public)."""
        metadata = workflow.contents.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        fields = {
            "endpoint_id": workflow_endpoint_id(workflow.owner, workflow.name),
            "input_schema": definition.input_schema,
            "output_schema": definition.output_schema,
            "display_name": workflow.title[:_DISPLAY_NAME_LENGTH],
            "privacy": "public" if workflow.is_public else "private",
            "category": CATEGORY,
            # Given even when absent, so that an update clears what the last one set.
            "description": _text(metadata.get("description")),
            "thumbnail_url": _text(metadata.get("thumbnail_url")),
        }
        try:
            spec = EntrySpec.model_validate(fields)
        except ValidationError as exc:  # the schemas check what reaches here; a last guard
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            message = f"the workflow cannot be listed: {where}: {error['msg']}"
            raise InvalidRequest(message) from None
        self._catalog.upsert(spec)

    def _unregister(self, endpoint_id: str) -> None:
        with contextlib.suppress(NotFound):  # the operator may have removed it already
            self._catalog.delete(endpoint_id, actor=None)


def contents_problem(contents: Any) -> str | None:
    """What keeps a definition from being stored and sent back, or None: its size as JSON,
    its nesting, a lone surrogate."""
    flaw = json_flaw(contents, max_depth=MAX_CONTENTS_DEPTH, max_bytes=MAX_CONTENTS_BYTES)
    if flaw is None:
        return None
    if flaw.kind is FlawKind.TOO_LARGE:
        return f"a workflow definition takes at most {MAX_CONTENTS_BYTES} bytes as JSON"
    if flaw.kind is FlawKind.TOO_DEEP:
        return f"{describe_flaw(flaw)}: at most {MAX_CONTENTS_DEPTH} levels"
    return describe_flaw(flaw)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _taken(name: str) -> str:
    return f"a workflow named {name!r} already exists"


def _missing(username: str, name: str) -> str:
    return f"workflow {username}/{name} not found"
