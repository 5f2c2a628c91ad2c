// The public API, called with the session cookie; state changes carry the CSRF token.
const csrf = document.querySelector('meta[name="impasto-csrf"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function messageOf(body, fallback) {
  if (body && typeof body === "object") {
    if (body.error?.message) return body.error.message;
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((item) => `${(item.loc ?? []).slice(1).join(".") || "input"}: ${item.msg}`).join("; ");
    }
    if (body.message) return body.message;
  }
  return fallback;
}

export async function request(path, { method = "GET", json, body, headers = {}, signal } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin", signal };
  if (!["GET", "HEAD"].includes(method)) init.headers["X-Impasto-CSRF"] = csrf;
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  return fetch(path, init);
}

export async function api(path, options = {}) {
  const response = await request(path, options);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) throw new ApiError(response.status, messageOf(data, `${response.status} ${response.statusText}`), data);
  return data;
}

// A URL this server returned, as a path of this origin (the page may be reached by another name).
export function local(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, item);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// Server-sent events over fetch: the cookie goes along and the stream ends when the server says.
export async function* events(path, signal) {
  const response = await request(path, { signal, headers: { Accept: "text/event-stream" } });
  if (!response.ok) {
    const text = await response.text();
    let data = null;
    try { data = JSON.parse(text); } catch { data = text; }
    throw new ApiError(response.status, messageOf(data, response.statusText), data);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n");
      if (data) {
        try { yield JSON.parse(data); } catch { /* a keep-alive or a partial line */ }
      }
    }
  }
}
