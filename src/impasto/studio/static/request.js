// One request: input, output, logs and timings; payload deletion.
import { api, query } from "./api.js";
import { clear, errorBox, h, json, toast, when } from "./dom.js";
import { renderOutputs } from "./outputs.js";

export async function render(view, requestId) {
  const endpoint = new URLSearchParams(location.search).get("endpoint") ?? await endpointOf(requestId);
  if (!endpoint) {
    clear(view, errorBox(new Error("No such request of yours among the latest 1,000.")));
    return;
  }
  const page = await api(`/v1/models/requests/by-endpoint${query({ endpoint_id: endpoint, request_id: requestId, expand: "payloads" })}`);
  const item = (page.items ?? [])[0];
  if (!item) {
    clear(view, errorBox(new Error("No such request of yours.")));
    return;
  }
  let logs = h("p", { class: "muted" }, "No logs.");
  try {
    const status = await api(`/queue/${endpoint}/requests/${encodeURIComponent(requestId)}/status${query({ logs: 1 })}`);
    if (Array.isArray(status.logs) && status.logs.length) {
      logs = h("pre", { class: "logs", id: "logs" }, status.logs.map((line) => `${line.timestamp ?? ""} ${line.level ?? ""} ${line.message}`).join("\n"));
    }
  } catch (error) {
    logs = errorBox(error);
  }
  const input = item.json_input;
  const output = item.json_output;
  clear(view,
    h("div", { class: "chips" }, h("span", { class: "chip" }, endpoint), h("span", { class: "chip" }, `status ${item.status_code ?? "pending"}`)),
    h("table", { class: "table" }, h("tbody", {},
      [["Sent", when(item.sent_at)], ["Started", when(item.started_at)], ["Ended", when(item.ended_at)],
        ["Duration", item.duration != null ? `${Number(item.duration).toFixed(3)} s` : ""]]
        .map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, value))))),
    h("div", { class: "columns" },
      h("section", {}, h("h2", {}, "Input"), input === undefined || input === null ? h("p", { class: "muted" }, "Payload deleted or not stored.") : json(input),
        input ? h("a", { class: "button secondary", href: `/models/${endpoint}${query({ input: JSON.stringify(input) })}` }, "Run again") : null),
      h("section", {}, h("h2", {}, "Output"), output === undefined || output === null ? h("p", { class: "muted" }, "No output.") : renderOutputs(output))),
    h("h2", {}, "Logs"), logs,
    h("button", { class: "danger", id: "delete-payloads", onclick: remove }, "Delete input and output"));

  async function remove() {
    if (!confirm("Delete this request's input and output for good?")) return;
    try {
      await api(`/v1/models/requests/${encodeURIComponent(requestId)}/payloads`, { method: "DELETE" });
      toast("Payloads deleted");
      await render(view, requestId);
    } catch (error) {
      toast(error.message);
    }
  }
}

// A request is read through its endpoint; links carry it, a bare id is looked up in the
// owner's latest requests.
async function endpointOf(requestId) {
  let cursor;
  for (let page = 0; page < 10; page += 1) {
    const answer = await api(`/v1/models/requests/search${query({ limit: 100, cursor })}`);
    const found = (answer.results ?? []).find((item) => item.request_id === requestId);
    if (found) return found.endpoint_id;
    if (!answer.has_more) return null;
    cursor = answer.next_cursor;
  }
  return null;
}
