// The official JS client, @fal-ai/client 1.10.1, against an Impasto server through the
// fal server-proxy route, configured as fal documents it and nothing else.
// Env: IMPASTO_URL (e.g. http://127.0.0.1:8000) and FAL_KEY (key_id:key_secret).
// Run: node --test client.test.mjs (Node 18 or later).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, ValidationError, createFalClient } from "@fal-ai/client";

const BASE = process.env.IMPASTO_URL;
const KEY = process.env.FAL_KEY;
if (!BASE || !KEY) {
  throw new Error("set IMPASTO_URL and FAL_KEY");
}

const fal = createFalClient({
  credentials: KEY,
  proxyUrl: { url: `${BASE}/api/fal/proxy`, when: "always" },
});

// An 8x6 red PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAEklEQVR4nGP8z4AdMOEQp4sEAJiFAQtsMIKbAAAAAElFTkSuQmCC",
  "base64",
);

test("subscribe returns the output", async () => {
  const result = await fal.subscribe("impasto/debug", {
    input: { payload: 1 },
    pollInterval: 100,
  });
  assert.deepEqual(result.data, { payload: 1, attempt: 1 });
  assert.ok(result.requestId);
});

test("subscribe in streaming mode follows the status stream", async () => {
  const updates = [];
  const result = await fal.subscribe("impasto/debug", {
    input: { payload: "s", logs: 2 },
    mode: "streaming",
    logs: true,
    onQueueUpdate: (update) => updates.push(update.status),
  });
  assert.deepEqual(result.data, { payload: "s", attempt: 1 });
  assert.equal(updates.at(-1), "COMPLETED");
});

test("run answers synchronously", async () => {
  const result = await fal.run("impasto/debug", { input: { payload: [1, 2] } });
  assert.deepEqual(result.data, { payload: [1, 2], attempt: 1 });
});

test("queue submit, status and result", async () => {
  const submitted = await fal.queue.submit("impasto/debug", {
    input: { payload: 2, logs: 2 },
  });
  assert.equal(submitted.status, "IN_QUEUE");
  assert.ok(submitted.status_url.startsWith(`${BASE}/queue/`), submitted.status_url);
  const requestId = submitted.request_id;
  const done = await fal.queue.subscribeToStatus("impasto/debug", {
    requestId,
    logs: true,
    pollInterval: 100,
  });
  assert.equal(done.status, "COMPLETED");
  const status = await fal.queue.status("impasto/debug", { requestId, logs: true });
  assert.equal(status.status, "COMPLETED");
  assert.deepEqual(
    status.logs.map((log) => log.message),
    ["debug log 1 of 2", "debug log 2 of 2"],
  );
  const result = await fal.queue.result("impasto/debug", { requestId });
  assert.deepEqual(result.data, { payload: 2, attempt: 1 });
  assert.equal(result.requestId, requestId);
});

test("stream yields partial outputs through the proxy", async () => {
  const stream = await fal.stream("impasto/debug/stream", {
    input: { chunks: 3, payload: "p" },
  });
  const events = [];
  for await (const event of stream) {
    events.push(event);
  }
  assert.deepEqual(
    events.map((event) => [event.index, event.partial]),
    [
      [0, true],
      [1, true],
      [2, false],
    ],
  );
  const last = await stream.done();
  assert.equal(last.index, 2);
});

test("storage upload, then the URL as a model input", async () => {
  const url = await fal.storage.upload(new Blob([PNG], { type: "image/png" }));
  assert.ok(url.startsWith(`${BASE}/files/`), url);
  const downloaded = await fetch(url);
  assert.equal(downloaded.status, 200);
  assert.deepEqual(Buffer.from(await downloaded.arrayBuffer()), PNG);
  const result = await fal.subscribe("impasto/image-tools/resize", {
    input: { image: url, width: 4, height: 3 },
    pollInterval: 100,
  });
  assert.equal(result.data.image.width, 4);
  assert.equal(result.data.image.height, 3);
  assert.ok(result.data.image.url.startsWith(`${BASE}/files/`));
});

test("a Blob in the input is uploaded first", async () => {
  const result = await fal.run("impasto/image-tools/resize", {
    input: { image: new Blob([PNG], { type: "image/png" }), width: 2, height: 2 },
  });
  assert.equal(result.data.image.width, 2);
});

test("a bad input is a ValidationError with status 422", async () => {
  await assert.rejects(
    fal.run("impasto/debug", { input: { sleep: "soon" } }),
    (error) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.status, 422);
      assert.deepEqual(error.fieldErrors[0].loc, ["body", "sleep"]);
      return true;
    },
  );
});

test("an unknown request is an ApiError with status 404", async () => {
  await assert.rejects(
    fal.queue.status("impasto/debug", {
      requestId: "01a20000-0000-7000-8000-000000000000",
    }),
    (error) => error instanceof ApiError && error.status === 404,
  );
});

test("a wrong key is refused", async () => {
  const stranger = createFalClient({
    credentials: "nope:nope",
    proxyUrl: { url: `${BASE}/api/fal/proxy`, when: "always" },
  });
  await assert.rejects(
    stranger.run("impasto/debug", { input: {} }),
    (error) => error instanceof ApiError && error.status === 401,
  );
});

// Realtime opens wss://fal.run/... itself; only the token request goes through the proxy.
// A WebSocket class that points fal's host at this server is the one override it needs:
// the global one (browsers, Node 22+), else the `ws` package's.
test("realtime round trip", async () => {
  const saved = globalThis.WebSocket;
  const Base = saved ?? (await import("ws")).WebSocket;
  const wsBase = BASE.replace(/^http/, "ws");
  globalThis.WebSocket = class extends Base {
    constructor(url, protocols) {
      super(String(url).replace(/^wss:\/\/fal\.run/, `${wsBase}/run`), protocols);
    }
  };
  try {
    const answers = [];
    await new Promise((resolve, reject) => {
      const connection = fal.realtime.connect("impasto/debug", {
        connectionKey: "js-client-test", // the default needs a global crypto (Node 19+)
        throttleInterval: 0,
        onResult: (result) => {
          answers.push(result);
          if (answers.length === 1) {
            connection.send({ payload: 1 });
          } else {
            connection.close();
            resolve();
          }
        },
        onError: reject,
      });
      connection.send({ payload: 0 });
    });
    assert.deepEqual(answers, [
      { payload: 0, attempt: 1 },
      { payload: 1, attempt: 1 },
    ]);
  } finally {
    globalThis.WebSocket = saved;
  }
});
