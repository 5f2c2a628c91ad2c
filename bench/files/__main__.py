"""Files benchmark: 1 GiB up and down through the API against ``cp`` on the same disk.

    python -m bench.files [--size-mib 1024] [--dir PATH]

Starts ``impasto serve`` on the local store in a subprocess, uploads one file as a single
streamed POST and as a fal-client-style multipart upload (10 MiB parts, 10 at a time),
downloads it, and samples the server's resident memory throughout. Figures are ratios
to a ``cp`` of the same file in the same run, so they compare across machines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

CHUNK = 1 << 20
PART = 10 << 20
CURL = shutil.which("curl")
COMPLETE_SECONDS: list[float] = []  # multipart: time of ``complete`` alone (the join)


class RssSampler:
    """Peak resident set size of one process, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as file:
        for _ in range(size // CHUNK):
            block = os.urandom(CHUNK)
            digest.update(block)
            file.write(block)
    return digest.hexdigest()


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def start_server(
    data_dir: Path, database_url: str | None = None
) -> tuple[subprocess.Popen[str], str, str]:
    env = {
        **os.environ,
        "IMPASTO_MAX_UPLOAD_BYTES": str(1 << 40),
        "IMPASTO_RATE_LIMIT_PER_SECOND": "0",
        "IMPASTO_LOG_LEVEL": "warning",
        "NO_PROXY": "127.0.0.1",
    }
    if database_url:
        env["IMPASTO_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "impasto", "serve", "--port", "0", "--data-dir", str(data_dir)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert server.stdout is not None
    credential = address = ""
    for line in server.stdout:
        if re.fullmatch(r"\s+\S+:\S+\s*", line):
            credential = line.strip()
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            address = match.group(1)
            break
    if not credential or not address:
        server.kill()
        raise RuntimeError("the server did not print its key and address")
    return server, address, credential


def file_chunks(path: Path, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    with path.open("rb") as file:
        file.seek(start)
        remaining = length if length is not None else os.path.getsize(path) - start
        while remaining > 0:
            block = file.read(min(CHUNK, remaining))
            if not block:
                return
            remaining -= len(block)
            yield block


def curl_upload(address: str, credential: str, source: Path) -> str:
    result = subprocess.run(  # noqa: S603
        [
            CURL,
            "-sS",
            "--fail",
            "-X",
            "POST",
            "-H",
            "Expect:",
            "-T",
            str(source),
            "-H",
            f"Authorization: Key {credential}",
            "-H",
            "Content-Type: application/octet-stream",
            "-H",
            f"X-Fal-File-Name: {source.name}",
            f"{address}/files/upload",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return str(json.loads(result.stdout)["access_url"])


def curl_download(url: str, target: Path) -> str:
    subprocess.run([CURL, "-sS", "--fail", "-o", str(target), url], check=True)  # noqa: S603
    return sha256_of(target)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    for block in file_chunks(path):
        digest.update(block)
    return digest.hexdigest()


def single_upload(client: httpx.Client, source: Path) -> str:
    response = client.post(
        "/files/upload",
        content=file_chunks(source),
        headers={"Content-Type": "application/octet-stream", "X-Fal-File-Name": source.name},
    )
    response.raise_for_status()
    url: str = response.json()["access_url"]
    return url


def multipart_upload(client: httpx.Client, source: Path) -> str:
    started = client.post(
        "/files/upload/multipart",
        headers={"Content-Type": "application/octet-stream", "X-Fal-File-Name": source.name},
    ).json()
    url, upload = started["access_url"], started["uploadId"]
    size = source.stat().st_size
    count = (size + PART - 1) // PART

    def put(number: int) -> dict[str, object]:
        start = (number - 1) * PART
        with source.open("rb") as file:  # like fal-client: a part is read whole, then sent
            file.seek(start)
            data = file.read(PART)
        response = client.put(f"{url}/multipart/{upload}/{number}", content=data)
        response.raise_for_status()
        return {"partNumber": number, "etag": response.headers["etag"]}

    with ThreadPoolExecutor(10) as pool:
        parts = list(pool.map(put, range(1, count + 1)))
    joined = time.perf_counter()
    client.post(f"{url}/multipart/{upload}/complete", json={"parts": parts}).raise_for_status()
    COMPLETE_SECONDS.append(time.perf_counter() - joined)
    return str(url)


def download(client: httpx.Client, url: str, target: Path) -> str:
    digest = hashlib.sha256()
    with client.stream("GET", url) as response, target.open("wb") as file:
        response.raise_for_status()
        for block in response.iter_bytes(CHUNK):
            digest.update(block)
            file.write(block)
    return digest.hexdigest()


def baselines(source: Path, scratch: Path) -> dict[str, float]:
    """Seconds for ``cp``, ``cp`` + ``sync`` and hashing the file, on the same disk."""
    copy = scratch / "copy.bin"
    seconds = {
        "cp": timed(lambda: subprocess.run(["cp", str(source), str(copy)], check=True)),  # noqa: S603, S607
    }
    copy.unlink()
    sync = 'cp "$0" "$1" && sync "$1"'
    seconds["cp + sync"] = timed(
        lambda: subprocess.run(["sh", "-c", sync, str(source), str(copy)], check=True)  # noqa: S603, S607
    )
    copy.unlink()
    seconds["sha256"] = timed(lambda: sha256_of(source))
    return seconds


def through_api(
    source: Path, scratch: Path, expected: str
) -> tuple[int, list[tuple[str, float, int]]]:
    """Idle RSS, then (step, seconds, peak RSS) for each upload and download."""
    server, address, credential = start_server(scratch / "data")
    results: list[tuple[str, float, int]] = []
    try:
        headers = {"Authorization": f"Key {credential}"}
        with httpx.Client(base_url=address, headers=headers, timeout=600) as client:
            idle = psutil.Process(server.pid).memory_info().rss
            target = scratch / "download.bin"
            url = ""
            steps: list[tuple[str, Callable[[], str]]] = [
                ("upload, POST (httpx)", lambda: single_upload(client, source)),
                ("upload, multipart (httpx)", lambda: multipart_upload(client, source)),
                ("download, GET (httpx)", lambda: download(client, url, target)),
            ]
            if CURL:
                steps.insert(
                    0, ("upload, POST (curl)", lambda: curl_upload(address, credential, source))
                )
                steps.append(("download, GET (curl)", lambda: curl_download(url, target)))
            for name, work in steps:
                with RssSampler(server.pid) as rss:
                    start = time.perf_counter()
                    result = work()
                    results.append((name, time.perf_counter() - start, rss.peak))
                if name.startswith("upload"):
                    url = result
                elif result != expected:
                    raise RuntimeError("downloaded bytes differ from the upload")
                else:
                    target.unlink()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return idle, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (one disk)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="impasto-bench-", dir=args.dir))
    size = args.size_mib << 20
    mib = size / (1 << 20)
    try:
        source = scratch / "source.bin"
        expected = make_file(source, size)
        base = baselines(source, scratch)
        idle, results = through_api(source, scratch, expected)
        print(f"file: {mib:.0f} MiB in {scratch}")
        for name, seconds in base.items():
            print(f"{name:26s} {seconds:6.2f} s = {mib / seconds:5.0f} MiB/s")
        print(f"server RSS when idle: {idle / (1 << 20):.0f} MiB")
        cp, synced = base["cp"], base["cp + sync"]
        for name, seconds, peak in results:
            print(
                f"{name:26s} {seconds:6.2f} s = {mib / seconds:5.0f} MiB/s "
                f"({cp / seconds:4.0%} of cp, {synced / seconds:4.0%} of cp + sync), "
                f"peak RSS {peak / (1 << 20):.0f} MiB"
            )
        for seconds in COMPLETE_SECONDS:
            print(f"{'  of which complete':26s} {seconds:6.2f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
