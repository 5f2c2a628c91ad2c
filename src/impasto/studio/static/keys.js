// Keys: list, create (the secret is shown once), revoke. The Platform API manages API keys.
import { api, query } from "./api.js";
import { clear, copy, errorBox, h, toast, when } from "./dom.js";

export async function render(view) {
  const list = h("tbody");
  const created = h("div", { id: "created-key", "aria-live": "polite" });
  const alias = h("input", { id: "alias", name: "alias", required: true, maxlength: 255, placeholder: "e.g. laptop" });
  const form = h("form", { class: "inline", onsubmit: create },
    h("label", { for: "alias" }, "New API key named"), alias, h("button", { type: "submit" }, "Create key"));
  clear(view, form, created,
    h("table", { class: "table", id: "keys" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Key id"), h("th", {}, "Created"), h("th", {}, ""))),
      list));

  async function load() {
    try {
      const keys = [];
      let cursor;
      do {
        const page = await api(`/v1/keys${query({ limit: 100, cursor })}`);
        keys.push(...page.keys);
        cursor = page.next_cursor;
      } while (cursor);
      clear(list, keys.map(row));
      if (!keys.length) clear(list, h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No API keys yet.")));
    } catch (error) {
      clear(list, h("tr", {}, h("td", { colspan: 4 }, errorBox(error))));
    }
  }

  function row(key) {
    return h("tr", { "data-key-id": key.key_id },
      h("td", {}, key.alias),
      h("td", {}, h("code", {}, key.key_id)),
      h("td", {}, when(key.created_at)),
      h("td", {}, h("button", { class: "danger", onclick: () => revoke(key) }, "Revoke")));
  }

  async function create(event) {
    event.preventDefault();
    try {
      const key = await api("/v1/keys", { method: "POST", json: { alias: alias.value } });
      alias.value = "";
      clear(created, h("div", { class: "card secret" },
        h("p", {}, "Copy this key now: its secret is shown once and cannot be read again."),
        h("code", { id: "new-key" }, key.key),
        h("button", { onclick: () => copy(key.key, "Key copied") }, "Copy")));
      await load();
    } catch (error) {
      clear(created, errorBox(error));
    }
  }

  async function revoke(key) {
    if (!confirm(`Revoke "${key.alias}"? Programs and browsers using it stop working.`)) return;
    try {
      await api(`/v1/keys/${encodeURIComponent(key.key_id)}`, { method: "DELETE" });
      toast("Key revoked");
      clear(created);
      await load();
    } catch (error) {
      toast(error.message);
    }
  }

  await load();
}
