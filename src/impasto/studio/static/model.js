// A model page: what it is, its schemas, client snippets, and the playground.
import { api, ApiError, events, local, query } from "./api.js";
import { clear, copy, errorBox, h, json, toast } from "./dom.js";
import { buildForm } from "./form.js";
import { renderOutputs } from "./outputs.js";
import { resolver } from "./schema.js";
import { snippets } from "./snippets.js";

export async function render(view, endpointId) {
  const found = await api(`/v1/models${query({ endpoint_id: endpointId, expand: "openapi-3.0" })}`);
  const model = found.models?.[0];
  if (!model) {
    clear(view, errorBox(new Error(`No model ${endpointId} here, or not yours to see.`)));
    return;
  }
  const meta = model.metadata;
  document.getElementById("title").textContent = meta.display_name || endpointId;
  const openapi = model.openapi ?? {};
  const normal = resolver(openapi.components?.schemas ?? {});
  const paths = openapi.paths ?? {};
  const input = paths[`/${endpointId}`]?.post?.requestBody?.content?.["application/json"]?.schema ?? { type: "object" };
  const output = paths[`/${endpointId}/requests/{request_id}`]?.get?.responses?.["200"]?.content?.["application/json"]?.schema;
  const form = buildForm(input, normal);
  const price = h("span", { class: "muted" });
  const favorite = h("button", { type: "button", class: "secondary", id: "favorite", "aria-pressed": String(Boolean(meta.is_favorited)) },
    meta.is_favorited ? "★ Favorite" : "☆ Favorite");
  favorite.addEventListener("click", async () => {
    const on = favorite.getAttribute("aria-pressed") !== "true";
    try {
      await api(`/v1/models/favorites/${endpointId}`, { method: on ? "PUT" : "DELETE" });
      favorite.setAttribute("aria-pressed", String(on));
      favorite.textContent = on ? "★ Favorite" : "☆ Favorite";
    } catch (error) { toast(error.message); }
  });
  api(`/v1/models/pricing${query({ endpoint_id: endpointId })}`)
    .then((answer) => {
      const item = answer.prices?.[0];
      price.textContent = item ? `${item.unit_price} ${item.currency} per ${item.unit}` : "no price set";
    })
    .catch(() => { price.textContent = ""; });

  const code = h("pre", { id: "snippet" });
  let language = "python";
  const tabs = ["python", "js", "curl"].map((name) => h("button", {
    type: "button", role: "tab", "aria-selected": String(name === language),
    onclick: () => { language = name; tabs.forEach((tab) => tab.setAttribute("aria-selected", String(tab.textContent === label(name)))); refresh(); },
  }, label(name)));
  function label(name) { return { python: "Python (fal-client)", js: "JS (@fal-ai/client)", curl: "curl" }[name]; }
  function refresh() { code.textContent = snippets(endpointId, form.value())[language]; }

  const run = h("div", { id: "run", "aria-live": "polite" });
  const submit = h("button", { type: "submit", id: "submit" }, "Run");
  const formError = h("div", { id: "form-error" });
  const playground = h("form", { id: "playground", novalidate: true, onsubmit: (event) => { event.preventDefault(); start(); } },
    form.element, formError, h("div", { class: "row" }, submit,
      h("button", { type: "button", class: "secondary", onclick: () => { refresh(); copy(code.textContent, "Code copied"); } }, "Copy as code")));
  playground.addEventListener("input", refresh);

  clear(view,
    h("p", {}, meta.description ?? ""),
    h("div", { class: "chips" }, h("span", { class: "chip" }, endpointId), meta.category ? h("span", { class: "chip" }, meta.category) : null,
      meta.status ? h("span", { class: "chip" }, meta.status) : null, (meta.tags ?? []).map((tag) => h("span", { class: "chip" }, tag)), price, favorite),
    h("div", { class: "columns" },
      h("section", { class: "card", "aria-labelledby": "pg-title" }, h("h2", { id: "pg-title" }, "Playground"), playground),
      h("section", { class: "card", "aria-labelledby": "result-title" }, h("h2", { id: "result-title" }, "Result"), run)),
    h("section", { class: "snippet" }, h("h2", {}, "Call it from code"), h("div", { class: "tabs", role: "tablist" }, tabs), code,
      h("button", { type: "button", class: "secondary", onclick: () => copy(code.textContent, "Code copied") }, "Copy")),
    h("section", {}, h("h2", {}, "Schemas"),
      h("details", {}, h("summary", {}, "Input schema"), json(normal(input))),
      output ? h("details", {}, h("summary", {}, "Output schema"), json(normal(output))) : null));
  refresh();

  const rerun = new URLSearchParams(location.search).get("input");
  if (rerun) {
    try { form.fill(JSON.parse(rerun)); refresh(); } catch { /* an old link */ }
  }

  async function start() {
    clear(formError);
    const values = form.value();
    submit.disabled = true;
    let submitted;
    try {
      submitted = await api(`/queue/${endpointId}`, { method: "POST", json: values });
      form.showErrors([]);
    } catch (error) {
      submit.disabled = false;
      if (error instanceof ApiError && error.status === 422 && Array.isArray(error.body?.detail)) {
        const loose = form.showErrors(error.body.detail);
        clear(formError, h("p", { class: "error", role: "alert" }, "Some fields need attention.", loose.map((text) => h("span", { class: "block" }, ` ${text}`))));
      } else clear(formError, errorBox(error));
      return;
    }
    submit.disabled = false;
    await watch(submitted, values);
  }

  async function watch(submitted, values) {
    const started = performance.now();
    const state = h("strong", { id: "run-status" }, submitted.status ?? "IN_QUEUE");
    const position = h("span", { class: "muted", id: "queue-position" });
    const elapsed = h("span", { class: "muted" });
    const logs = h("pre", { class: "logs", id: "logs" });
    const result = h("div", { id: "result" });
    const controller = new AbortController();
    const cancel = h("button", { type: "button", class: "danger", id: "cancel", onclick: async () => {
      try {
        await api(local(submitted.cancel_url), { method: "PUT" });
        toast("Cancellation requested");
      } catch (error) { toast(error.message); }
    } }, "Cancel");
    clear(run,
      h("p", {}, "Request ", h("a", { href: `/requests/${submitted.request_id}` }, h("code", {}, submitted.request_id))),
      h("p", { class: "row" }, state, position, elapsed, cancel), logs, result);
    const tick = setInterval(() => { elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
    let last = null;
    try {
      for await (const status of events(`${local(submitted.status_url)}/stream?logs=1`, controller.signal)) {
        last = status;
        state.textContent = status.status;
        state.className = `status-${status.status}`;
        position.textContent = status.queue_position != null && status.status === "IN_QUEUE" ? `position ${status.queue_position}` : "";
        if (Array.isArray(status.logs)) {
          logs.textContent = status.logs.map((line) => `${line.timestamp?.slice(11, 19) ?? ""} ${line.level ?? ""} ${line.message}`).join("\n");
          logs.scrollTop = logs.scrollHeight;
        }
        if (status.status === "COMPLETED") break;
      }
    } catch (error) {
      clear(result, errorBox(error));
    } finally {
      clearInterval(tick);
      cancel.disabled = true;
    }
    if (!last || last.status !== "COMPLETED") return;
    try {
      const answer = await api(local(submitted.response_url));
      clear(result, renderOutputs(answer), actions(values, submitted.request_id));
    } catch (error) {
      state.textContent = error.status === 499 || last.error_type === "client_cancelled" ? "CANCELLED" : "FAILED";
      state.className = "status-FAILED";
      clear(result, errorBox(error), error.body ? json(error.body) : null, actions(values, submitted.request_id));
    }
  }

  function actions(values, requestId) {
    return h("div", { class: "row" },
      h("button", { type: "button", onclick: () => { form.fill(values); start(); } }, "Run again"),
      h("button", { type: "button", class: "secondary", onclick: () => copy(snippets(endpointId, values)[language], "Code copied") }, "Copy as code"),
      h("a", { class: "button secondary", href: `/assets${query({ request_id: requestId })}` }, "Open in assets"));
  }
}
