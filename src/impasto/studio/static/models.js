// The model gallery: search as you type over GET /v1/models, pages by cursor as you scroll.
import { api, query } from "./api.js";
import { clear, debounce, errorBox, h, infinite } from "./dom.js";

const PAGE = 24;

export async function render(view) {
  const params = new URLSearchParams(location.search);
  const search = h("input", { type: "search", id: "model-search", "aria-label": "Search models", placeholder: "Search models…", value: params.get("q") ?? "" });
  const category = h("input", { id: "model-category", "aria-label": "Category", placeholder: "category, e.g. text-to-image", value: params.get("category") ?? "" });
  const status = h("select", { id: "model-status", "aria-label": "Status" },
    h("option", { value: "" }, "any status"), h("option", { value: "active" }, "active"), h("option", { value: "deprecated" }, "deprecated"));
  status.value = params.get("status") ?? "";
  const favorites = h("input", { type: "checkbox", id: "model-favorites" });
  const grid = h("div", { class: "grid", id: "models" });
  const note = h("p", { class: "muted", "aria-live": "polite" });
  const sentinel = h("div", { class: "sentinel" });
  clear(view,
    h("div", { class: "toolbar", role: "search" }, search, category, status,
      h("label", { class: "row" }, favorites, "favorites only")),
    grid, note, sentinel);

  let generation = 0;
  let cursor = null;
  let done = false;
  let controller = null;

  async function next() {
    if (done) return false;
    const mine = generation;
    controller = new AbortController();
    try {
      const page = await api(`/v1/models${query({
        q: search.value.trim(), category: category.value.trim(), status: status.value, limit: PAGE, cursor,
      })}`, { signal: controller.signal });
      if (mine !== generation) return false;
      const shown = favorites.checked ? page.models.filter((model) => model.metadata.is_favorited) : page.models;
      grid.append(...shown.map(tile));
      cursor = page.next_cursor;
      done = !page.has_more;
      note.textContent = grid.childElementCount ? (done ? "" : "Loading more as you scroll…") : "No model matches.";
    } catch (error) {
      if (error.name !== "AbortError" && mine === generation) clear(note, errorBox(error));
      return false;
    }
    return !done;
  }

  function restart() {
    generation += 1;
    controller?.abort();
    cursor = null;
    done = false;
    clear(grid);
    const shown = new URLSearchParams(query({ q: search.value.trim(), category: category.value.trim(), status: status.value }).slice(1));
    history.replaceState(null, "", `/models${shown.toString() ? `?${shown}` : ""}`);
    fill();
  }

  const later = debounce(restart, 180);
  search.addEventListener("input", later);
  category.addEventListener("input", later);
  status.addEventListener("change", restart);
  favorites.addEventListener("change", restart);
  const fill = infinite(sentinel, next);
  await fill();
}

function tile(model) {
  const meta = model.metadata;
  const thumb = meta.thumbnail_url
    ? h("img", { src: meta.thumbnail_url, alt: "", loading: "lazy", decoding: "async" })
    : h("span", {}, meta.category || "model");
  return h("a", { class: "tile", href: `/models/${model.endpoint_id}`, "data-endpoint-id": model.endpoint_id },
    h("div", { class: "thumb" }, thumb),
    h("div", { class: "body" },
      h("span", { class: "title" }, meta.display_name || model.endpoint_id),
      h("span", { class: "sub" }, model.endpoint_id, meta.status === "deprecated" ? " · deprecated" : "", meta.is_favorited ? " · ★" : ""),
      meta.category ? h("span", { class: "chips" }, h("span", { class: "chip" }, meta.category)) : null,
      h("span", { class: "desc" }, meta.description ?? "")));
}
