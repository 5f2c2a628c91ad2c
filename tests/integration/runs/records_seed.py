"""Request records, apps and files written straight to the database for the records tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from impasto.container import Container
from impasto.models import BlobRecord, DeployedApp, RequestRecord, StoredFile

APP = "acme/app"
ENDPOINT = "acme/app"
OTHER_ENDPOINT = "acme/app/other"


def add_app(container: Container, owner: str = "acme", name: str = "app") -> None:
    now = container.clock.now()
    with container.database.session(write=True) as session:
        session.add(
            DeployedApp(
                app_id=f"{owner}/{name}",
                owner=owner,
                name=name,
                import_path="tests.none:App",
                manifest={},
                env={},
                created_at=now,
                updated_at=now,
            )
        )


def add_request(
    container: Container,
    owner: str,
    *,
    endpoint_id: str = ENDPOINT,
    app_id: str = APP,
    status: str = "COMPLETED",
    result_status: int | None = 200,
    created: datetime | None = None,
    ran_for: float | None = 2.0,
    waited: float = 1.0,
    input: Any = None,
    output: Any = None,
    key_id: str | None = "key",
) -> str:
    """One request; ``ran_for`` None leaves it unfinished (and ``waited`` None unstarted)."""
    created = created or container.clock.now() - timedelta(minutes=10)
    started = created + timedelta(seconds=waited) if status != "IN_QUEUE" else None
    done = status == "COMPLETED"
    request_id = container.ids.new()
    with container.database.session(write=True) as session:
        session.add(
            RequestRecord(
                request_id=request_id,
                owner=owner,
                key_id=key_id,
                endpoint_id=endpoint_id,
                app_id=app_id,
                path="/",
                mode="queue",
                status=status,
                priority=0,
                input=input if input is not None else {"prompt": "a cat"},
                headers={},
                store_io=True,
                base_url="http://testserver/",
                attempts=1 if started else 0,
                max_attempts=3,
                cancel_requested=False,
                result_status=result_status if done else None,
                output=(output if output is not None else {"ok": True}) if done else None,
                result_headers={},
                payloads_deleted=False,
                created_at=created,
                started_at=started,
                completed_at=created + timedelta(seconds=waited + (ran_for or 0)) if done else None,
            )
        )
    return request_id


def add_file(container: Container, owner: str, name: str = "out.png") -> tuple[str, str]:
    """A CDN-style file; returns its id and its URL on the test server."""
    now = container.clock.now()
    file_id = container.ids.new()
    key = (file_id.replace("-", "") * 2)[:64]
    with container.database.session(write=True) as session:
        session.add(BlobRecord(key=key, size=3, created_at=now))
        session.flush()
        session.add(
            StoredFile(
                file_id=file_id,
                owner=owner,
                file_name=name,
                blob_key=key,
                size=3,
                content_type="image/png",
                acl={"default": "allow", "rules": []},
                created_at=now,
                updated_at=now,
            )
        )
    return file_id, f"http://testserver/files/b/{file_id}/{name}"
