"""Running workflows: a run is a request of its own, and each node an ordinary request.

Submitting ``workflows/{owner}/{name}`` stores, in one transaction, the run's request
(IN_PROGRESS from the start; no worker ever claims it), the definition it starts with,
and a request for every node that needs nothing. Nodes then run like any request (queue,
leases, retries, logs, assets). When one completes, ``on_completed`` runs in the
completing transaction: it records fal's ``completion`` event on the run, submits each
node whose inputs now all exist, and completes the run with its ``output`` mapping after
the last node, or with the node's error as soon as one fails. A run moves only when a
commit moves it: after a crash each step is there with its consequences or not at all,
and the queue's own recovery (leases, retries) carries the run on after a restart. A
completed node never runs again.

Every node completion locks the run's row before anything else, so two nodes finishing
at once are handled one after the other; a unique index on (parent_request_id, node_id)
keeps a node from being submitted twice whatever happens.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from impasto.kit.errors import AppError, NotFound, RequestValidationFailed
from impasto.kit.names import split_namespace
from impasto.models import RequestRecord, RunEvent, WorkflowRun
from impasto.runs.queue.completion import Completed, Result, cancelled_result, complete
from impasto.runs.queue.completion import notify_after_commit as after_commit
from impasto.runs.queue.notifier import CANCEL_TOPIC, WORK_TOPIC, app_topic, request_topic
from impasto.runs.queue.options import SubmitOptions
from impasto.runs.queue.repository import COMPLETED, IN_QUEUE, RunRepository
from impasto.runs.queue.service import (
    LOG_KIND,
    PARTIAL_KIND,
    Caller,
    RunDeps,
    RunService,
    Submitted,
)
from impasto.runs.queue.submission import NewRequest
from impasto.sdk.validation import check_payload
from impasto.workflows.definition import Definition, DefinitionInvalid, RunNode, parse_definition
from impasto.workflows.repository import WorkflowRepository
from impasto.workflows.resolution import Unresolved, input_with_defaults, lookup, resolve

NAMESPACE = "workflows"
NODE_FAILED = "workflow_node_failed"  # the run's error_type when a node failed


def workflow_endpoint_id(owner: str, name: str) -> str:
    return f"{NAMESPACE}/{owner}/{name}"


class WorkflowEngine:
    """The ``workflows`` namespace's orchestrator (``runs.queue.service.Orchestrator``) and
    the completion hook that moves its runs on."""

    def __init__(self, deps: RunDeps) -> None:
        self._deps = deps

    def submit(
        self,
        session: Session,
        caller: Caller,
        endpoint_path: str,
        payload: Any,
        options: SubmitOptions,
        *,
        mode: str,
        base_url: str,
    ) -> Submitted:
        _, parts = split_namespace(endpoint_path)
        found = WorkflowRepository(session).by_name(*parts) if len(parts) == 2 else None
        if found is None or not (found.is_public or found.owner == caller.owner):
            raise NotFound(f"Application {endpoint_path.strip('/')} not found")
        definition = parse_definition(found.contents)
        check_payload(definition.input_schema, payload, max_bytes=self._deps.policy.max_input_bytes)
        webhook = self._deps.webhook_of(options)
        now = self._deps.clock.now()
        endpoint_id = workflow_endpoint_id(found.owner, found.name)
        request = NewRequest(
            request_id=self._deps.ids.new(),
            owner=caller.owner,
            key_id=caller.key_id,
            endpoint_id=endpoint_id,
            app_id=endpoint_id,
            path="/",
            mode=mode,
            priority=options.priority,
            input=payload,
            headers=options.forwarded,
            store_io=options.store_io,
            base_url=base_url,
            runner_hint=None,
            webhook_url=webhook,
            start_deadline=None,
            max_attempts=1,
            created_at=now,
        )
        runs = RunRepository(session)
        runs.insert(request, started=True)
        WorkflowRepository(session).add_run(
            WorkflowRun(
                request_id=request.request_id,
                workflow_id=found.workflow_id,
                contents=found.contents,
                created_at=now,
            )
        )
        run = runs.get_for_update(request.request_id)
        assert run is not None  # inserted above, in this transaction
        self._advance(session, run, definition)
        return Submitted(
            request_id=request.request_id,
            app_id=endpoint_id,
            priority=request.priority,
            webhook_url=webhook,
            status=run.status,
        )

    def cancel(self, session: Session, record: RequestRecord) -> None:
        """The run ends cancelled at once; its queued nodes are cancelled, running ones
        asked to stop, and nothing after them starts."""
        self._event(session, record, None, "The workflow run was cancelled", "WARN")
        self._complete(session, record, cancelled_result())
        self._cancel_nodes(session, record.request_id)

    def on_completed(self, session: Session, done: Completed) -> None:
        """The completion hook: a node of a run completed, in this transaction."""
        if done.parent_request_id is None or done.node_id is None:
            return
        run = RunRepository(session).get_for_update(done.parent_request_id)
        if run is None or run.status == COMPLETED:
            return  # the run failed or was cancelled: nothing follows
        stored = WorkflowRepository(session).get_run(run.request_id)
        try:
            definition = parse_definition(stored.contents if stored is not None else None)
        except DefinitionInvalid as exc:
            # Saved definitions were valid; one the rules no longer accept ends the run.
            self._fail(session, run, done.node_id, 500, {"detail": exc.message}, exc.message)
            return
        if done.result_status >= 400:
            message = done.error or _detail_of(done.output) or f"status {done.result_status}"
            self._fail(session, run, done.node_id, done.result_status, done.output, message)
            return
        self._event(
            session,
            run,
            {"type": "completion", "node_id": done.node_id, "output": done.output},
            f"{done.node_id}: completed",
        )
        self._advance(session, run, definition)

    # -- steps --------------------------------------------------------------------------

    def _advance(self, session: Session, run: RequestRecord, definition: Definition) -> None:
        """Submit every node whose inputs all exist; complete the run after the last."""
        nodes = RunRepository(session).children(run.request_id)
        started = {node.node_id for node in nodes}
        outputs = {
            node.node_id: node.output
            for node in nodes
            if node.node_id is not None and node.status == COMPLETED
        }
        inputs = input_with_defaults(definition.input_schema, run.input)
        if len(outputs) == len(definition.nodes):
            self._finish(session, run, definition, inputs, outputs)
            return
        ready = [
            node
            for node in definition.nodes.values()
            if node.node_id not in started and node.needs <= outputs.keys()
        ]
        for node in ready:
            if not self._start(session, run, node, inputs, outputs):
                return

    def _start(
        self,
        session: Session,
        run: RequestRecord,
        node: RunNode,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
    ) -> bool:
        """Submit one node as a request; False when it could not be, and the run failed."""
        deps = self._deps
        try:
            node_input = resolve(node.input, inputs, outputs)
            caller = Caller(owner=run.owner, key_id=run.key_id)
            target = RunService(session, deps).target(caller, node.app)
            check_payload(
                target.endpoint.input_schema, node_input, max_bytes=deps.policy.max_input_bytes
            )
        except Unresolved as exc:
            message = f"its input could not be resolved: {exc}"
            self._fail(session, run, node.node_id, 422, {"detail": message}, message)
            return False
        except RequestValidationFailed as exc:  # as the queue answers it: 422 with the list
            self._fail(session, run, node.node_id, 422, {"detail": exc.detail}, exc.message)
            return False
        except AppError as exc:
            body = {"detail": exc.message, "error_type": exc.run_type}
            self._fail(session, run, node.node_id, exc.status_code, body, exc.message)
            return False
        request = NewRequest(
            request_id=deps.ids.new(),
            owner=run.owner,
            key_id=run.key_id,
            endpoint_id=target.endpoint_id,
            app_id=target.app.app_id,
            path=target.endpoint.path,
            mode="queue",
            priority=run.priority,
            input=node_input,
            headers=dict(run.headers),
            store_io=run.store_io,
            base_url=run.base_url,
            runner_hint=None,
            webhook_url=None,
            start_deadline=None,
            max_attempts=deps.policy.max_attempts,
            created_at=deps.clock.now(),
            parent_request_id=run.request_id,
            node_id=node.node_id,
        )
        RunRepository(session).insert(request)
        after_commit(session, deps.notifier, app_topic(request.app_id))
        after_commit(session, deps.notifier, WORK_TOPIC)
        self._event(
            session,
            run,
            {
                "type": "submit",
                "node_id": node.node_id,
                "app_id": target.endpoint_id,
                "request_id": request.request_id,
            },
            f"{node.node_id}: submitted to {target.endpoint_id} as {request.request_id}",
        )
        return True

    def _finish(
        self,
        session: Session,
        run: RequestRecord,
        definition: Definition,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
    ) -> None:
        try:
            output = {name: lookup(ref, inputs, outputs) for name, ref in definition.output.items()}
        except Unresolved as exc:
            message = f"the workflow's output could not be resolved: {exc}"
            source = exc.reference.source
            self._fail(session, run, source, 500, {"detail": message}, message)
            return
        self._event(session, run, {"type": "output", "output": output}, "The workflow completed")
        self._complete(session, run, Result(status_code=200, body=output))

    def _fail(
        self,
        session: Session,
        run: RequestRecord,
        node_id: str,
        status: int,
        body: Any,
        message: str,
    ) -> None:
        """The run ends with the node's error; the nodes still running are stopped."""
        self._event(
            session,
            run,
            {
                "type": "error",
                "node_id": node_id,
                "message": message,
                "error": {"status": status, "body": body},
            },
            f"{node_id}: failed: {message}",
            "ERROR",
        )
        detail = f"Workflow node {node_id!r} failed: {message}"
        self._complete(
            session,
            run,
            Result(
                status_code=status if status >= 400 else 500,
                body={
                    "detail": detail,
                    "error_type": NODE_FAILED,
                    "node_id": node_id,
                    "error": {"status": status, "body": body},
                },
                error=detail,
                error_type=NODE_FAILED,
                headers={"X-Fal-Error-Type": NODE_FAILED},
            ),
        )
        self._cancel_nodes(session, run.request_id)

    def _cancel_nodes(self, session: Session, run_id: str) -> None:
        """After the run completed: its nodes' own completions then change nothing."""
        deps = self._deps
        for node in RunRepository(session).live_children_for_update(run_id):
            if node.status == IN_QUEUE:
                complete(
                    session, node, cancelled_result(), deps.clock.now(), deps.hooks, deps.notifier
                )
            elif not node.cancel_requested:
                node.cancel_requested = True
                session.flush()
                after_commit(session, deps.notifier, CANCEL_TOPIC)

    def _complete(self, session: Session, run: RequestRecord, result: Result) -> None:
        now = self._deps.clock.now()
        if run.started_at is not None:
            result = replace(result, inference_time=max((now - run.started_at).total_seconds(), 0))
        complete(session, run, result, now, self._deps.hooks, self._deps.notifier)

    # -- what the run's followers see ------------------------------------------------

    def _event(
        self,
        session: Session,
        run: RequestRecord,
        event: dict[str, Any] | None,
        line: str,
        level: str = "INFO",
    ) -> None:
        """A log line of the run and, given one, one of fal's workflow events, streamed as
        a partial output."""
        now = self._deps.clock.now()
        kinds: list[tuple[str, dict[str, Any]]] = [
            (LOG_KIND, _log_line(line, level, now)),
        ]
        if event is not None:
            kinds.insert(0, (PARTIAL_KIND, {"output": event}))
        RunRepository(session).add_events(
            [
                RunEvent(
                    request_id=run.request_id,
                    attempt=run.attempts,
                    kind=kind,
                    data=data,
                    created_at=now,
                )
                for kind, data in kinds
            ]
        )
        after_commit(session, self._deps.notifier, request_topic(run.request_id))


def _log_line(line: str, level: str, now: datetime) -> dict[str, Any]:
    return {
        "message": line,
        "level": level,
        "source": "USER",
        "timestamp": now.isoformat(),
        "labels": {},
    }


def _detail_of(body: Any) -> str | None:
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None
