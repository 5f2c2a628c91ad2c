"""A stand-in Hugging Face Hub on loopback: the calls ``huggingface_hub`` makes to pull a
repository, answered from repositories the tests put in memory.

It speaks what ``snapshot_download`` needs: ``/api/models/{repo}/revision/{rev}`` (the
commit), ``/api/models/{repo}/tree/{rev}`` (files with git blob ids and LFS sha256s), and
``/{repo}/resolve/{rev}/{file}`` with ``ETag``, ``X-Repo-Commit``, ``Content-Length`` and
``Range``. Gated repositories answer 401 (``X-Error-Code: GatedRepo``) without the right
token, missing ones 404 (``RepoNotFound``). Tests can tamper with a file (same size, other
bytes than announced), cut a transfer after some bytes, or take the Hub down.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".ckpt")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass
class HubRepo:
    files: dict[str, bytes]
    gated: bool = False
    commit: str = ""

    def __post_init__(self) -> None:
        if not self.commit:
            digest = hashlib.sha1(usedforsecurity=False)
            for name in sorted(self.files):
                digest.update(name.encode() + self.files[name])
            self.commit = digest.hexdigest()

    @classmethod
    def from_folder(cls, folder: Path, **kwargs: bool) -> HubRepo:
        files = {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        return cls(files=files, **kwargs)


@dataclass
class StandinHub:
    repos: dict[str, HubRepo] = field(default_factory=dict)
    token: str = "hf_test_token"
    tampered: set[tuple[str, str]] = field(default_factory=set)
    # (repo, file) -> bytes to send before dropping the connection, once.
    cut: dict[tuple[str, str], int] = field(default_factory=dict)
    down: bool = False  # every request is dropped while set
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""

    def range_starts(self, repo_id: str, name: str) -> list[int]:
        """The ``Range`` offsets asked for one file's downloads (0: a whole-file GET)."""
        path = f"/{repo_id}/resolve/{self.repos[repo_id].commit}/{name}"
        starts = []
        for method, target, header in self.requests:
            if method == "GET" and target == path:
                starts.append(int(header.removeprefix("bytes=").split("-")[0]) if header else 0)
        return starts

    def downloaded(self, repo_id: str) -> set[str]:
        prefix = f"/{repo_id}/resolve/"
        return {
            target.removeprefix(prefix).split("/", 1)[1]
            for method, target, _ in self.requests
            if method == "GET" and target.startswith(prefix)
        }


class _Handler(BaseHTTPRequestHandler):
    hub: StandinHub

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        hub = self.hub
        target = unquote(urlsplit(self.path).path)
        hub.requests.append((self.command, target, self.headers.get("Range")))
        if hub.down:
            self.close_connection = True
            self.connection.close()
            return
        if target.startswith("/api/models/"):
            self._api(target.removeprefix("/api/models/"))
        elif "/resolve/" in target:
            self._resolve(target.lstrip("/"), body=body)
        else:
            self._error(404, "EntryNotFound", "no such route")

    def _repo(self, repo_id: str) -> HubRepo | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository Not Found for url: {self.path}")
            return None
        if repo.gated and self.headers.get("Authorization") != f"Bearer {self.hub.token}":
            self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted.")
            return None
        return repo

    def _api(self, rest: str) -> None:
        parts = rest.split("/")
        repo_id = "/".join(parts[:2])
        repo = self._repo(repo_id)
        if repo is None:
            return
        kind = parts[2] if len(parts) > 2 else "revision"
        revision = parts[3] if len(parts) > 3 else "main"
        if revision not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return
        if kind == "revision":
            document: object = {
                "id": repo_id,
                "modelId": repo_id,
                "sha": repo.commit,
                "private": False,
                "gated": "manual" if repo.gated else False,
                "siblings": [{"rfilename": name} for name in sorted(repo.files)],
            }
        elif kind == "tree":
            document = [self._entry(name, data) for name, data in sorted(repo.files.items())]
        else:
            self._error(404, "EntryNotFound", "no such route")
            return
        self._send(200, json.dumps(document).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _entry(name: str, data: bytes) -> dict[str, object]:
        entry: dict[str, object] = {
            "type": "file",
            "oid": git_blob_id(data),
            "size": len(data),
            "path": name,
        }
        if name.endswith(LFS_SUFFIXES):
            sha = hashlib.sha256(data).hexdigest()
            entry["lfs"] = {"oid": sha, "size": len(data), "pointerSize": 134}
        return entry

    def _resolve(self, rest: str, *, body: bool) -> None:
        repo_part, _, tail = rest.partition("/resolve/")
        repo = self._repo(repo_part)
        if repo is None:
            return
        revision, _, name = tail.partition("/")
        if revision not in ("main", repo.commit) or name not in repo.files:
            self._error(404, "EntryNotFound", f"{name} not found")
            return
        announced = repo.files[name]
        data = announced
        if (repo_part, name) in self.hub.tampered:
            data = bytes([announced[0] ^ 0xFF]) + announced[1:]
        etag = (
            hashlib.sha256(announced).hexdigest()
            if name.endswith(LFS_SUFFIXES)
            else git_blob_id(announced)
        )
        headers = {
            "ETag": f'"{etag}"',
            "X-Repo-Commit": repo.commit,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        start = 0
        asked = self.headers.get("Range")
        if body and asked and asked.startswith("bytes="):
            start = int(asked.removeprefix("bytes=").split("-")[0])
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        payload = data[start:]
        status = 206 if start else 200
        if not body:
            self._send(status, b"", {**headers, "Content-Length": str(len(data))}, body=False)
            return
        cut = self.hub.cut.pop((repo_part, name), None)
        if cut is not None:
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(payload))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self._send(status, payload, headers)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Error-Code": code,
            "X-Error-Message": message,
        }
        self._send(status, body, headers)

    def _send(
        self, status: int, payload: bytes, headers: dict[str, str], *, body: bool = True
    ) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)


def serve_hub(hub: StandinHub) -> Iterator[StandinHub]:
    """Serve ``hub`` on a loopback port for as long as the generator is suspended."""
    handler = type("Handler", (_Handler,), {"hub": hub})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
