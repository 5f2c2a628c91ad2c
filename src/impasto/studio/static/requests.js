// The owner's request history from the request records: filters, cursor pages, search by id.
import { api, query } from "./api.js";
import { clear, errorBox, h, infinite, when } from "./dom.js";

const SINCE = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400 };

export async function render(view) {
  const params = new URLSearchParams(location.search);
  const endpoint = h("input", { id: "req-endpoint", "aria-label": "Endpoint id", placeholder: "endpoint id, e.g. impasto/debug", value: params.get("endpoint_id") ?? "" });
  const status = h("select", { id: "req-status", "aria-label": "Outcome" },
    ["", "success", "error", "user_error"].map((value) => h("option", { value }, value || "any outcome")));
  status.value = params.get("status") ?? "";
  const since = h("select", { id: "req-since", "aria-label": "Time" },
    Object.keys(SINCE).map((value) => h("option", { value }, `last ${value}`)));
  since.value = params.get("since") ?? "24h";
  const requestId = h("input", { id: "req-id", type: "search", "aria-label": "Request id", placeholder: "request id", value: params.get("request_id") ?? "" });
  const rows = h("tbody", { id: "requests" });
  const note = h("p", { class: "muted", "aria-live": "polite" });
  const sentinel = h("div", { class: "sentinel" });
  const form = h("form", { class: "toolbar", role: "search", onsubmit: (event) => { event.preventDefault(); restart(); } },
    endpoint, status, since, requestId, h("button", { type: "submit" }, "Filter"));
  clear(view, form,
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Request", "Endpoint", "Status", "Duration", "Ended"].map((name) => h("th", {}, name)))),
      rows),
    note, sentinel);

  let cursor = null;
  let done = false;
  let generation = 0;

  async function next() {
    if (done) return false;
    const mine = generation;
    const start = new Date(Date.now() - SINCE[since.value] * 1000).toISOString();
    const byEndpoint = endpoint.value.trim() !== "";
    const id = requestId.value.trim();
    const path = byEndpoint
      ? `/v1/models/requests/by-endpoint${query({ endpoint_id: endpoint.value.trim(), status: status.value, start: id ? undefined : start, request_id: id, limit: 50, cursor })}`
      : `/v1/models/requests/search${query({ limit: 50, cursor })}`;
    try {
      const page = await api(path);
      if (mine !== generation) return false;
      let items = page.items ?? page.results ?? [];
      // Without an endpoint the search lists everything: narrow it here.
      if (!byEndpoint) {
        items = items.filter((item) => (!id || item.request_id === id)
          && (!status.value || outcome(item) === status.value)
          && (!item.sent_at || new Date(item.sent_at) >= new Date(start)));
      }
      rows.append(...items.map(row));
      cursor = page.next_cursor;
      done = !page.has_more;
      note.textContent = rows.childElementCount ? "" : (done ? "No request matches." : "Searching…");
    } catch (error) {
      clear(note, errorBox(error));
      return false;
    }
    return !done;
  }

  const fill = infinite(sentinel, next);

  function restart() {
    generation += 1;
    cursor = null;
    done = false;
    clear(rows);
    history.replaceState(null, "", `/requests${query({ endpoint_id: endpoint.value.trim(), status: status.value, since: since.value, request_id: requestId.value.trim() })}`);
    fill();
  }
  status.addEventListener("change", restart);
  since.addEventListener("change", restart);
  await fill();
}

function outcome(item) {
  if (item.status_code == null) return "";
  if (item.status_code < 400) return "success";
  return item.status_code < 500 ? "user_error" : "error";
}

function row(item) {
  const code = item.status_code;
  const label = code == null ? (item.ended_at ? "—" : "in progress") : `${code} ${outcome(item)}`;
  return h("tr", { "data-request-id": item.request_id },
    h("td", {}, h("a", { href: `/requests/${item.request_id}${query({ endpoint: item.endpoint_id })}` }, h("code", {}, item.request_id))),
    h("td", {}, item.endpoint_id),
    h("td", { class: `status-${outcome(item)}` }, label),
    h("td", {}, item.duration != null ? `${Number(item.duration).toFixed(2)} s` : ""),
    h("td", {}, when(item.ended_at)));
}
