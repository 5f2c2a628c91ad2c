// The asset library: hybrid text search, search by image, filters, bulk tag / collect.
import { api, query } from "./api.js";
import { clear, debounce, errorBox, h, infinite, toast } from "./dom.js";
import { upload } from "./form.js";

const PAGE = 40;

export async function render(view) {
  const params = new URLSearchParams(location.search);
  const search = h("input", { type: "search", id: "asset-search", "aria-label": "Search assets", placeholder: "Search by words…", value: params.get("q") ?? "" });
  const media = h("select", { id: "asset-media", "aria-label": "Media type" }, ["", "image", "video", "audio", "3d"].map((value) => h("option", { value }, value || "any media")));
  const source = h("select", { id: "asset-source", "aria-label": "Source" }, ["", "upload", "response"].map((value) => h("option", { value }, value || "any source")));
  const section = h("select", { id: "asset-section", "aria-label": "Section" }, ["all-media", "favorites", "uploads", "generated"].map((value) => h("option", { value }, value)));
  const tagFilter = h("select", { id: "asset-tag", "aria-label": "Tags (select several)", multiple: true, size: 1 });
  const tagMode = h("select", { id: "asset-tag-mode", "aria-label": "Match any or all selected tags" },
    h("option", { value: "any" }, "any of the tags"), h("option", { value: "all" }, "all of the tags"));
  const characterFilter = h("select", { id: "asset-character", "aria-label": "Character" }, h("option", { value: "" }, "any character"));
  const collectionFilter = h("select", { id: "asset-collection", "aria-label": "Collection" }, h("option", { value: "" }, "all collections"));
  const drop = h("label", { class: "drop", id: "image-search" }, "Search by image: drop one here or ", h("input", { type: "file", accept: "image/*", "aria-label": "Search by image" }));
  const similar = h("p", { class: "muted", id: "similar-note" });
  const grid = h("div", { class: "grid", id: "assets" });
  const note = h("p", { class: "muted", "aria-live": "polite" });
  const sentinel = h("div", { class: "sentinel" });
  const tagName = h("input", { id: "bulk-tag", placeholder: "tag", "aria-label": "Tag name for the selected assets" });
  const collectionName = h("input", { id: "bulk-collection", placeholder: "collection", "aria-label": "Collection name for the selected assets" });
  const bulk = h("div", { class: "toolbar", id: "bulk" }, h("span", { id: "selected-count" }, "0 selected"), tagName,
    h("button", { type: "button", id: "bulk-tag-button", onclick: tagSelected }, "Tag"), collectionName,
    h("button", { type: "button", id: "bulk-collection-button", onclick: collectSelected }, "Add to collection"));
  clear(view, h("div", { class: "toolbar", role: "search" }, search, media, source, section, tagFilter, tagMode, collectionFilter, characterFilter), drop, similar, bulk, grid, note, sentinel);

  const selected = new Set();
  let imageUrl = params.get("like") ?? "";
  const onlyRequest = params.get("request_id") ?? "";
  let cursor = null;
  let done = false;
  let generation = 0;

  const [tags, collections, characters] = await Promise.all([
    api("/v1/assets/tags").then((answer) => answer.tags ?? []).catch(() => []),
    api("/v1/assets/collections").then((answer) => answer.collections ?? []).catch(() => []),
    api("/v1/assets/characters").then((answer) => answer.characters ?? []).catch(() => []),
  ]);
  tagFilter.append(...tags.map((tag) => h("option", { value: tag.id }, tag.name)));
  tagFilter.size = Math.min(Math.max(tags.length, 1), 4);
  collectionFilter.append(...collections.map((item) => h("option", { value: item.id }, item.name)));
  characterFilter.append(...characters.filter((item) => item.character_identifier)
    .map((item) => h("option", { value: item.character_identifier }, item.name)));
  if (imageUrl) similar.textContent = "Showing assets that look like the chosen one.";
  if (onlyRequest) similar.textContent = `Showing the outputs of request ${onlyRequest}.`;

  async function next() {
    if (done) return false;
    const mine = generation;
    const base = collectionFilter.value ? `/v1/assets/collections/${encodeURIComponent(collectionFilter.value)}/assets` : "/v1/assets";
    try {
      const page = await api(`${base}${query({
        q: imageUrl ? undefined : search.value.trim(), search_image_url: imageUrl || undefined,
        media_type: media.value, source: source.value, section: section.value,
        tag_id: [...tagFilter.selectedOptions].map((option) => option.value), tag_mode: tagMode.value,
        character_identifier: characterFilter.value, limit: PAGE, cursor,
      })}`);
      if (mine !== generation) return false;
      const items = (page.assets ?? []).filter((asset) => !onlyRequest || asset.request_id === onlyRequest);
      grid.append(...items.map(tile));
      cursor = page.next_cursor;
      done = !page.has_more;
      note.textContent = grid.childElementCount ? "" : (done ? "No asset matches." : "Searching…");
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
    clear(grid);
    fill();
  }

  function tile(asset) {
    const box = h("input", { type: "checkbox", "aria-label": `Select ${asset.title ?? asset.asset_id}` });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(asset.asset_id); else selected.delete(asset.asset_id);
      card.classList.toggle("selected", box.checked);
      document.getElementById("selected-count").textContent = `${selected.size} selected`;
    });
    const thumb = asset.type === "image"
      ? h("img", { src: asset.thumbnail_url ?? asset.url, alt: asset.prompt ?? asset.title ?? "", loading: "lazy", decoding: "async" })
      : asset.type === "video" ? h("video", { src: asset.url, muted: true, preload: "metadata" }) : h("span", {}, asset.type);
    const card = h("div", { class: "tile", "data-asset-id": asset.asset_id },
      h("a", { class: "thumb", href: `/assets/${asset.asset_id}` }, thumb),
      h("label", { class: "row pick" }, box, "select"),
      h("div", { class: "body" },
        h("a", { class: "title", href: `/assets/${asset.asset_id}` }, asset.title ?? asset.asset_id),
        h("span", { class: "sub" }, asset.endpoint ?? asset.source ?? "", asset.is_favorited ? " · ★" : ""),
        asset.prompt ? h("span", { class: "desc" }, asset.prompt) : null,
        h("span", { class: "chips" }, (asset.tags ?? []).map((tag) => h("span", { class: "chip" }, tag.name ?? tag))),
        asset.type === "image" ? h("a", { href: `/assets${query({ like: asset.url })}`, class: "more-like-this" }, "More like this") : null));
    return card;
  }

  async function findOrCreate(kind, name) {
    const list = kind === "tag" ? tags : collections;
    const found = list.find((item) => item.name === name);
    if (found) return found.id;
    const made = await api(kind === "tag" ? "/v1/assets/tags" : "/v1/assets/collections", { method: "POST", json: { name } });
    const item = made.tag ?? made.collection;
    list.push(item);
    (kind === "tag" ? tagFilter : collectionFilter).append(h("option", { value: item.id }, item.name));
    return item.id;
  }

  async function tagSelected() {
    const name = tagName.value.trim();
    if (!name || !selected.size) { toast("Select assets and name a tag"); return; }
    try {
      const id = await findOrCreate("tag", name);
      for (const assetId of selected) await api(`/v1/assets/tags/${encodeURIComponent(id)}/assign`, { method: "POST", json: { asset_id: assetId } });
      toast(`Tagged ${selected.size} asset(s) "${name}"`);
      restart();
    } catch (error) { toast(error.message); }
  }

  async function collectSelected() {
    const name = collectionName.value.trim();
    if (!name || !selected.size) { toast("Select assets and name a collection"); return; }
    try {
      const id = await findOrCreate("collection", name);
      for (const assetId of selected) await api(`/v1/assets/collections/${encodeURIComponent(id)}/assets`, { method: "POST", json: { asset_id: assetId } });
      toast(`Added ${selected.size} asset(s) to "${name}"`);
    } catch (error) { toast(error.message); }
  }

  const picker = drop.querySelector("input");
  async function byImage(file) {
    try {
      similar.textContent = "Uploading the image to search with…";
      imageUrl = new URL(await upload(file), location.href).href;
      similar.textContent = "Showing assets that look like the dropped image.";
      restart();
    } catch (error) { clear(similar, errorBox(error)); }
  }
  picker.addEventListener("change", () => picker.files[0] && byImage(picker.files[0]));
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => { event.preventDefault(); drop.classList.remove("over"); if (event.dataTransfer.files[0]) byImage(event.dataTransfer.files[0]); });
  search.addEventListener("input", debounce(() => { imageUrl = ""; similar.textContent = ""; restart(); }, 250));
  for (const control of [media, source, section, tagFilter, tagMode, collectionFilter, characterFilter]) control.addEventListener("change", restart);
  await fill();
}
