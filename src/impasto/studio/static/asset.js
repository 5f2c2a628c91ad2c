// One asset: the file, its prompt and endpoint, lineage, tags, collections, favorite.
import { api, query } from "./api.js";
import { clear, errorBox, h, toast, when } from "./dom.js";
import { renderOutputs } from "./outputs.js";

export async function render(view, assetId) {
  const id = encodeURIComponent(assetId);
  const { asset } = await api(`/v1/assets/${id}`);
  document.getElementById("title").textContent = asset.title ?? "Asset";
  const [lineage, tags, collections] = await Promise.all([
    api(`/v1/assets/${id}/lineage`).then((answer) => answer.lineage).catch(() => null),
    api("/v1/assets/tags").then((answer) => answer.tags ?? []).catch(() => []),
    api("/v1/assets/collections").then((answer) => answer.collections ?? []).catch(() => []),
  ]);
  const favorite = h("button", { type: "button", id: "favorite", "aria-pressed": String(asset.is_favorited), onclick: toggleFavorite }, asset.is_favorited ? "★ Favorite" : "☆ Favorite");
  const mine = new Set((asset.tags ?? []).map((tag) => tag.id ?? tag));
  const tagBoxes = tags.map((tag) => {
    const box = h("input", { type: "checkbox", checked: mine.has(tag.id), "data-tag-id": tag.id });
    box.addEventListener("change", () => setTag(tag, box.checked));
    return h("label", { class: "row" }, box, tag.name);
  });
  const inCollections = new Set(asset.collection_ids ?? []);
  const collectionBoxes = collections.map((item) => {
    const box = h("input", { type: "checkbox", checked: inCollections.has(item.id) });
    box.addEventListener("change", () => setCollection(item, box.checked));
    return h("label", { class: "row" }, box, item.name);
  });
  const sources = (lineage?.edges ?? []).map((edge) => edge.from).filter((node) => node !== lineage.focus);
  const nodes = new Map((lineage?.nodes ?? []).map((node) => [node.id, node]));
  clear(view,
    h("div", { class: "columns" },
      h("section", {}, renderOutputs({ file: { url: asset.url, content_type: asset.content_type, file_name: asset.title } })),
      h("section", { class: "card" },
        h("p", {}, favorite, " ", asset.type === "image" ? h("a", { class: "button secondary", href: `/assets${query({ like: asset.url })}` }, "More like this") : null),
        h("table", { class: "table" }, h("tbody", {},
          [["Prompt", asset.prompt ?? "—"], ["Endpoint", asset.endpoint ?? "—"], ["Source", asset.source], ["Created", when(asset.created_at)],
            ["Size", asset.width ? `${asset.width} × ${asset.height}` : "—"]]
            .map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, value))))),
        asset.request_id && asset.endpoint ? h("p", {}, "Made by request ", h("a", { href: `/requests/${asset.request_id}${query({ endpoint: asset.endpoint })}` }, h("code", {}, asset.request_id))) : null,
        h("h2", {}, "Lineage"),
        sources.length ? h("ul", {}, sources.map((source) => lineageItem(nodes.get(source)))) : h("p", { class: "muted" }, "No recorded inputs."),
        h("h2", {}, "Tags"), tagBoxes.length ? h("div", { id: "asset-tags" }, tagBoxes) : h("p", { class: "muted" }, "No tags yet: create them from the Assets page."),
        h("h2", {}, "Collections"), collectionBoxes.length ? h("div", {}, collectionBoxes) : h("p", { class: "muted" }, "No collections yet."))));

  async function toggleFavorite() {
    const on = favorite.getAttribute("aria-pressed") !== "true";
    try {
      await api(`/v1/assets/${on ? "favorite" : "unfavorite"}`, { method: "POST", json: { asset_id: asset.asset_id } });
      favorite.setAttribute("aria-pressed", String(on));
      favorite.textContent = on ? "★ Favorite" : "☆ Favorite";
    } catch (error) { toast(error.message); }
  }
  async function setTag(tag, on) {
    try {
      await api(`/v1/assets/tags/${encodeURIComponent(tag.id)}/assign`, { method: on ? "POST" : "DELETE", json: { asset_id: asset.asset_id } });
      toast(on ? `Tagged "${tag.name}"` : `Untagged "${tag.name}"`);
    } catch (error) { toast(error.message); }
  }
  async function setCollection(item, on) {
    try {
      const path = `/v1/assets/collections/${encodeURIComponent(item.id)}/assets`;
      await api(path, { method: on ? "POST" : "DELETE", json: { asset_id: asset.asset_id } });
      toast(on ? `Added to "${item.name}"` : `Removed from "${item.name}"`);
    } catch (error) { toast(error.message); }
  }
}

function lineageItem(node) {
  if (!node) return null;
  if (node.kind === "request") {
    return h("li", {}, "request ", h("a", { href: `/requests/${node.request_id}${query({ endpoint: node.endpoint })}` }, node.endpoint ?? node.request_id), node.prompt ? ` — ${node.prompt}` : "");
  }
  return h("li", {}, node.asset_id ? h("a", { href: `/assets/${node.asset_id}` }, node.type ?? "asset") : node.type ?? node.kind, node.url ? h("span", { class: "muted" }, ` ${node.url}`) : "");
}
