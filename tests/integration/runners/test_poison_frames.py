"""Whatever one request brings (an input no runner can decode, validate or describe; an
answer that cannot be framed or read), it fails that request alone: the runner, and the
other requests it serves, go on."""

import asyncio
import os
import signal
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from impasto.runners import RunnerHandle, RunRequest
from impasto.runners.env import runner_environment
from impasto.runners.errors import RunnerStartFailed, RunnerStartKilled
from impasto.runners.protocol import HEADER, Msg, encode, read_frame
from tests.integration.runners.conftest import APPS, StartRunner

pytestmark = pytest.mark.anyio
DEBUG = "impasto.apps.debug:DebugApp"


def _raw_request(request_id: str, payload: bytes) -> bytes:
    body = b'{"type":"request","id":"%s","path":"/","payload":%s,"attempt":1,"headers":{}}' % (
        request_id.encode(),
        payload,
    )
    return HEADER.pack(len(body)) + body


async def _results(stdout: asyncio.StreamReader, count: int) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    while len(found) < count:
        message = await read_frame(stdout)
        assert message is not None, "the runner closed its frame stream"
        if message["type"] == Msg.RESULT:
            found[message["id"]] = message
    return found


async def test_inputs_that_cannot_be_decoded_or_described_fail_alone(tmp_path: Path) -> None:
    """Frames written straight to a runner, past every check the parent makes."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "impasto.runners.process",
        "--app", DEBUG, "--spool", str(tmp_path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=runner_environment(),
        start_new_session=True,
    )  # fmt: skip
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        ready = await read_frame(process.stdout)
        assert ready is not None
        assert ready["type"] == Msg.READY
        nested = b"[" * 600 + b"]" * 600
        process.stdin.write(
            # pydantic refuses 600 levels and cannot serialise them into its error
            _raw_request("deep", b'{"payload":%s}' % nested)
            # deeper than json decodes
            + _raw_request("deeper", b"[" * 5000 + b"]" * 5000)
            + _raw_request("nan", b'{"payload":NaN}')
            + _raw_request("fine", b'{"payload":1}')
        )
        await process.stdin.drain()
        results = await _results(process.stdout, 4)
        assert {rid: result["status"] for rid, result in results.items()} == {
            "deep": 422,
            "deeper": 422,
            "nan": 422,
            "fine": 200,
        }
        assert results["fine"]["body"] == {"payload": 1, "attempt": 1}
        for rid in ("deep", "deeper", "nan"):
            assert results[rid]["error_type"] == "validation_error"
            assert isinstance(results[rid]["body"]["detail"], list)
        # Still serving, and it stops cleanly when asked.
        process.stdin.write(_raw_request("after", b'{"payload":2}'))
        process.stdin.write(encode({"type": Msg.SHUTDOWN}))
        await process.stdin.drain()
        assert (await _results(process.stdout, 1))["after"]["status"] == 200
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_inputs_the_parent_cannot_send_answer_422_without_the_runner(
    debug_runner: RunnerHandle,
) -> None:
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    for payload in ({"payload": deep}, {"payload": float("nan")}, {"payload": "\ud800"}):
        run = await debug_runner.submit(RunRequest("unsendable", payload=payload))
        outcome = await run.outcome()
        assert (outcome.status_code, outcome.error_type) == (422, "validation_error")
        assert outcome.body["detail"][0]["loc"][:2] == ["body", "payload"]
    assert debug_runner.in_flight == 0
    assert debug_runner.alive


async def test_answers_that_cannot_be_framed_are_500s(start_runner: StartRunner) -> None:
    runner = await start_runner(f"{APPS}:Unframeable")
    bystander = await runner.submit(RunRequest("bystander", "/fine", {"hold": 0.5}))
    for request_id in ("nan", "surrogate", "partial"):
        payload = {"hold": 0} if request_id == "nan" else {}
        run = await runner.submit(RunRequest(request_id, f"/{request_id}", payload))
        outcome = await run.outcome()
        assert (outcome.status_code, outcome.body) == (500, {"detail": "Internal Server Error"})
        assert outcome.error_type == "runner_server_error"
    assert (await bystander.outcome()).body == {"value": 0.5}
    assert runner.alive


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    """An "interpreter" that runs ``fake_runner`` whatever it is asked to run."""
    script = tmp_path / "fake-python"
    script.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m tests.integration.runners.fake_runner\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def test_a_frame_the_parent_cannot_read_fails_only_its_request(
    start_runner: StartRunner, fake_python: Path
) -> None:
    runner = await start_runner(DEBUG, python=str(fake_python))
    outcome = await (await runner.submit(RunRequest("deep", payload={"deep": True}))).outcome()
    assert (outcome.status_code, outcome.error_type) == (500, "runner_server_error")
    noisy = await runner.submit(RunRequest("noisy", payload={"deep_log": True}))
    assert (await noisy.outcome()).body == {"ok": True}  # a lost log line fails nothing
    assert runner.alive


async def test_a_runner_killed_while_it_starts_is_not_a_broken_app(
    start_runner: StartRunner, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    starting = asyncio.ensure_future(
        start_runner(f"{APPS}:PidSetup", env={"PID_FILE": str(pid_file)})
    )
    while not pid_file.exists() or not pid_file.read_text():
        assert not starting.done()
        await asyncio.sleep(0.02)
    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    with pytest.raises(RunnerStartKilled, match="killed by signal 9"):
        await starting
    with pytest.raises(RunnerStartFailed, match="weights missing") as broken:
        await start_runner(f"{APPS}:BrokenSetup")
    assert not isinstance(broken.value, RunnerStartKilled)
