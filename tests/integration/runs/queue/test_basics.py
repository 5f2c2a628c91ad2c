"""Submit, status and result over /queue with the fields fal's clients read (§2.2-2.5)."""

from __future__ import annotations

import json

from tests.integration.runs.conftest import Caller, Gate

DEBUG = "impasto/debug"
URL_KEYS = ("response_url", "status_url", "cancel_url")


def test_submit_answers_what_the_python_client_requires(acme: Caller) -> None:
    response = acme.submit(DEBUG, {"payload": {"x": 1}})
    assert response.status_code == 200
    body = response.json()
    request_id = body["request_id"]
    assert response.headers["x-fal-request-id"] == request_id
    assert body["status"] == "IN_QUEUE"
    assert body["queue_position"] == 0
    root = f"http://testserver/queue/{DEBUG}/requests/{request_id}"
    assert body["response_url"] == root
    assert body["status_url"] == f"{root}/status"
    assert body["cancel_url"] == f"{root}/cancel"
    assert "gateway_request_id" not in body  # only with a webhook


def test_completed_status_and_result(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {"payload": {"x": 1}, "logs": 2})
    status = acme.wait_for(submitted, "COMPLETED")
    response = acme.get(submitted["status_url"])
    assert response.status_code == 200
    assert response.headers["x-fal-request-id"] == submitted["request_id"]
    assert status["status"] == "COMPLETED"
    assert status["logs"] is None  # present, null unless asked for
    assert isinstance(status["metrics"]["inference_time"], float)
    assert status["metrics"]["inference_time"] >= 0
    assert "error" not in status
    assert "error_type" not in status
    assert {key: status[key] for key in URL_KEYS} == {key: submitted[key] for key in URL_KEYS}

    result = acme.get(submitted["response_url"])
    assert result.status_code == 200
    assert result.json() == {"payload": {"x": 1}, "attempt": 1}
    assert result.headers["x-fal-request-id"] == submitted["request_id"]


def test_logs_flag_in_every_spelling(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {"logs": 3})
    acme.wait_for(submitted, "COMPLETED")
    for on in ("1", "true", "TRUE"):
        logs = acme.status(submitted, logs=on)["logs"]
        assert [entry["message"] for entry in logs] == [f"debug log {n} of 3" for n in (1, 2, 3)]
        assert all("timestamp" in entry for entry in logs)
    for off in ("0", "false"):
        assert acme.status(submitted, logs=off)["logs"] is None
    bad = acme.get(submitted["status_url"], logs="maybe")
    assert bad.status_code == 400
    assert "logs" in bad.json()["detail"]


def test_pending_states_answer_202_with_their_fields(acme: Caller, gate: Gate) -> None:
    running = acme.queued("acme/serial", gate.input)
    in_progress = acme.wait_for(running, "IN_PROGRESS")
    assert in_progress["status"] == "IN_PROGRESS"
    assert in_progress["logs"] is None
    assert in_progress["metrics"] == {}
    assert acme.get(running["status_url"]).status_code == 202
    assert acme.status(running, logs="1")["logs"] == []

    waiting = acme.queued("acme/serial", gate.input)
    assert waiting["queue_position"] == 0
    response = acme.get(waiting["status_url"])
    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] == "IN_QUEUE"
    assert queued["queue_position"] == 0
    assert "logs" not in queued  # fal sends neither logs nor metrics while queued

    early = acme.get(running["response_url"])
    assert early.status_code == 400
    assert early.json()["detail"] == "Request is still in progress"

    gate.open()
    assert acme.result(running).json() == {"served": 1}
    assert acme.result(waiting).json() == {"served": 2}


def test_app_failure_is_completed_with_error_and_the_apps_own_answer(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {"fail": True})
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["status"] == "COMPLETED"
    assert status["error"]
    assert status["error_type"] == "runner_server_error"
    result = acme.get(submitted["response_url"])
    assert result.status_code == 500
    assert result.json() == {"detail": "Internal Server Error"}


def test_bad_input_is_rejected_at_submit_with_fals_detail_list(acme: Caller) -> None:
    response = acme.submit(DEBUG, {"sleep": "long", "logs": -1})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert {tuple(item["loc"]) for item in detail} == {("body", "sleep"), ("body", "logs")}
    not_json = acme.client.post(
        f"/queue/{DEBUG}",
        content=b"{not json",
        headers={**acme.headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 422
    assert isinstance(not_json.json()["detail"], list)


def test_text_no_runner_could_be_sent_is_rejected_at_submit(acme: Caller) -> None:
    """JSON may spell a lone surrogate; it cannot be encoded to reach a runner, so it is
    refused up front instead of failing in the worker. NUL is fine: inputs stay JSON text."""
    for body, where in (
        ('{"payload": ["ok", "a\\ud800b"]}', ["body", "payload", 1]),
        ('{"\\udfff": 1}', ["body", "\\udfff"]),
    ):
        response = acme.client.post(
            f"/queue/{DEBUG}",
            content=body.encode(),
            headers={**acme.headers, "content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert [item["loc"] for item in response.json()["detail"]] == [where]
    accepted = acme.queued(DEBUG, {"payload": "a\x00b"})
    acme.wait_for(accepted, "COMPLETED")
    assert acme.result(accepted).json()["payload"] == "a\x00b"


def test_unknown_apps_paths_and_ids_answer_404(acme: Caller) -> None:
    assert acme.submit("impasto/nope", {}).status_code == 404
    assert acme.submit(f"{DEBUG}/no/such/path", {}).status_code == 404
    missing = "0190aaaa-0000-7000-8000-000000000000"
    for suffix in ("", "/status", "/response", "/status/stream"):
        response = acme.get(f"/queue/{DEBUG}/requests/{missing}{suffix}")
        assert response.status_code == 404, suffix
        assert response.json()["detail"] == "Request not found"
    cancel = acme.client.put(f"/queue/{DEBUG}/requests/{missing}/cancel", headers=acme.headers)
    assert cancel.status_code == 404
    assert acme.get(f"/queue/{DEBUG}/requests/{'x' * 300}/status").status_code == 404
    assert acme.get(f"/queue/{DEBUG}/requests").status_code == 404
    assert acme.get(f"/queue/{DEBUG}/requests/{missing}/status/what").status_code == 404


def test_another_owners_request_is_not_found(acme: Caller, bob: Caller) -> None:
    submitted = acme.queued(DEBUG, {"payload": "secret"})
    acme.wait_for(submitted, "COMPLETED")
    for url in (submitted["status_url"], submitted["response_url"]):
        response = bob.get(url)
        assert response.status_code == 404
        assert "secret" not in response.text
    assert bob.cancel(submitted).status_code == 404
    assert acme.get(submitted["response_url"]).json()["payload"] == "secret"


def test_paths_fal_clients_build_name_the_same_request(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {"payload": 7})
    acme.wait_for(submitted, "COMPLETED")
    rid = submitted["request_id"]
    for path in (
        f"/queue/{DEBUG}/requests/{rid}/",
        f"/queue/{DEBUG}/requests/{rid}/response",
        f"/queue/{DEBUG}/requests/{rid}/response/",
        f"/queue/{DEBUG}/stream/requests/{rid}",  # the endpoint's sub-path in between
    ):
        response = acme.get(path)
        assert response.status_code == 200, path
        assert response.json() == {"payload": 7, "attempt": 1}
    for path in (
        f"/queue/{DEBUG}/requests/{rid}/status/",
        f"/queue/{DEBUG}/x/requests/{rid}/status",
    ):
        assert acme.get(path).json()["status"] == "COMPLETED", path
    # Named under another app, the request does not exist.
    assert acme.get(f"/queue/acme/serial/requests/{rid}").status_code == 404


def test_status_stream_sends_data_frames_and_closes_after_completed(acme: Caller) -> None:
    submitted = acme.queued(DEBUG, {"logs": 3, "sleep": 0.3})
    url = submitted["status_url"] + "/stream"
    with acme.client.stream("GET", url, headers=acme.headers, params={"logs": "1"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    frames = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data:")]
    assert all(line.startswith(("data: ", ":")) for line in lines)
    assert frames[-1]["status"] == "COMPLETED"
    assert all(frame["status"] != "COMPLETED" for frame in frames[:-1])
    assert all(frame["request_id"] == submitted["request_id"] for frame in frames)
    assert len(frames[-1]["logs"]) == 3
    assert frames[-1]["metrics"]["inference_time"] >= 0
