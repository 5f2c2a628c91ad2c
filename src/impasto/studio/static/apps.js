// Apps (ADMIN): queues and runners from the platform's metrics and queue API, flush a
// queue, and usage and error rates per hour from the request records.
import { api, query, request } from "./api.js";
import { clear, errorBox, h, toast } from "./dom.js";

export async function render(view) {
  const table = h("tbody", { id: "apps" });
  const charts = h("div", { id: "usage" });
  clear(view,
    h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["App", "Endpoints", "In queue", "Running", "Runner starts", ""].map((name) => h("th", {}, name)))), table),
    h("h2", {}, "Requests per hour, last 24 hours"), charts);
  const [apps, gauges] = await Promise.all([appsFromCatalog(), metrics()]);
  clear(table, [...apps.entries()].map(([app, endpoints]) => row(app, endpoints, gauges)));
  if (!apps.size) clear(table, h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No apps deployed.")));
  try {
    clear(charts, usageChart(await recentRequests()));
  } catch (error) {
    clear(charts, errorBox(error));
  }

  function row(app, endpoints, values) {
    const count = (status) => values.get(`impasto_queue_requests|${app}|${status}`) ?? 0;
    const starts = values.get(`impasto_runner_starts_total|${app}|ok`) ?? 0;
    const [owner, name] = app.split("/");
    const size = h("td", {}, String(count("IN_QUEUE")));
    return h("tr", { "data-app": app },
      h("td", {}, h("code", {}, app)),
      h("td", {}, endpoints.map((id) => h("div", {}, h("a", { href: `/models/${id}` }, id)))),
      size, h("td", {}, String(count("IN_PROGRESS"))), h("td", {}, String(starts)),
      h("td", {}, h("button", { class: "danger", onclick: async () => {
        if (!confirm(`Remove every queued request of ${app}?`)) return;
        try {
          await api(`/v1/serverless/apps/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/queue`, { method: "DELETE" });
          const answer = await api(`/v1/serverless/apps/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/queue`);
          size.textContent = String(answer.queue_size ?? 0);
          toast(`Flushed ${app}`);
        } catch (error) { toast(error.message); }
      } }, "Flush queue")));
  }
}

async function appsFromCatalog() {
  const apps = new Map();
  let cursor;
  for (let page = 0; page < 20; page += 1) {
    const answer = await api(`/v1/models${query({ limit: 100, cursor })}`);
    for (const model of answer.models) {
      const app = model.endpoint_id.split("/").slice(0, 2).join("/");
      if (!apps.has(app)) apps.set(app, []);
      apps.get(app).push(model.endpoint_id);
    }
    cursor = answer.next_cursor;
    if (!answer.has_more) break;
  }
  return apps;
}

// Prometheus text -> "name|app|status-or-outcome" -> value.
async function metrics() {
  const values = new Map();
  const response = await request("/metrics");
  if (!response.ok) return values;
  for (const line of (await response.text()).split("\n")) {
    const match = /^(impasto_queue_requests|impasto_runner_starts_total)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2].matchAll(/(\w+)="([^"]*)"/g)].map((item) => [item[1], item[2]]));
    values.set(`${match[1]}|${labels.app}|${labels.status ?? labels.outcome}`, Number(match[3]));
  }
  return values;
}

async function recentRequests() {
  const since = Date.now() - 24 * 3600 * 1000;
  const items = [];
  let cursor;
  for (let page = 0; page < 10; page += 1) {
    const answer = await api(`/v1/models/requests/search${query({ limit: 100, cursor })}`);
    const results = answer.results ?? [];
    items.push(...results.filter((item) => new Date(item.sent_at).getTime() >= since));
    cursor = answer.next_cursor;
    if (!answer.has_more || results.some((item) => new Date(item.sent_at).getTime() < since)) break;
  }
  return items;
}

function usageChart(items) {
  const hours = Array.from({ length: 24 }, () => ({ total: 0, errors: 0 }));
  const now = Date.now();
  for (const item of items) {
    const slot = 23 - Math.floor((now - new Date(item.sent_at).getTime()) / 3600000);
    if (slot < 0 || slot > 23) continue;
    hours[slot].total += 1;
    if ((item.status_code ?? 0) >= 500) hours[slot].errors += 1;
  }
  const peak = Math.max(1, ...hours.map((hour) => hour.total));
  const bars = hours.map((hour, index) => {
    const bar = h("div", { class: `bar${hour.errors ? " bad" : ""}`, title: `${23 - index} h ago: ${hour.total} requests, ${hour.errors} errors` });
    bar.style.height = `${(hour.total / peak) * 100}%`;
    return bar;
  });
  const errors = items.filter((item) => (item.status_code ?? 0) >= 500).length;
  return h("div", {},
    h("div", { class: "chart", role: "img", "aria-label": `${items.length} requests in 24 hours, ${errors} server errors` }, bars),
    h("p", { class: "muted" }, `${items.length} requests, error rate ${items.length ? ((errors / items.length) * 100).toFixed(1) : "0.0"}%`));
}
