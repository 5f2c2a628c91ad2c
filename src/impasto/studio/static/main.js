// One entry point: the page's module renders into #view from the public API.
import { errorBox, clear } from "./dom.js";

const pages = {
  models: () => import("./models.js"),
  model: () => import("./model.js"),
  requests: () => import("./requests.js"),
  request: () => import("./request.js"),
  assets: () => import("./assets.js"),
  asset: () => import("./asset.js"),
  keys: () => import("./keys.js"),
  apps: () => import("./apps.js"),
};

const { page, arg } = document.body.dataset;
const view = document.getElementById("view");
const load = pages[page];
if (load) {
  load()
    .then((module) => module.render(view, arg))
    .catch((error) => clear(view, errorBox(error)));
}
