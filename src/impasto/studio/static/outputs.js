// Outputs by type: files as images, videos and audio (zoom, download), the rest as JSON.
import { h, json } from "./dom.js";

const IMAGE = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;
const VIDEO = /\.(mp4|webm|mov|mkv)$/i;
const AUDIO = /\.(mp3|wav|ogg|flac|m4a)$/i;

function files(value, found = []) {
  if (Array.isArray(value)) value.forEach((item) => files(item, found));
  else if (value && typeof value === "object") {
    if (typeof value.url === "string" && /^(https?:|\/)/.test(value.url)) found.push(value);
    else Object.values(value).forEach((item) => files(item, found));
  }
  return found;
}

function kindOf(file) {
  const type = file.content_type ?? "";
  const name = file.file_name ?? file.url;
  if (type.startsWith("image/") || IMAGE.test(name)) return "image";
  if (type.startsWith("video/") || VIDEO.test(name)) return "video";
  if (type.startsWith("audio/") || AUDIO.test(name)) return "audio";
  return "file";
}

export function renderOutputs(output) {
  const media = files(output).map((file) => {
    const kind = kindOf(file);
    const name = file.file_name ?? "download";
    let shown;
    if (kind === "image") {
      shown = h("img", { src: file.url, alt: name, loading: "lazy", tabindex: 0 });
      const toggle = () => shown.classList.toggle("zoomed");
      shown.addEventListener("click", toggle);
      shown.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === "Escape") toggle(); });
    } else if (kind === "video") shown = h("video", { src: file.url, controls: true, preload: "metadata" });
    else if (kind === "audio") shown = h("audio", { src: file.url, controls: true, preload: "metadata" });
    else shown = h("span", {}, name);
    return h("figure", { class: `output output-${kind}` }, shown,
      h("figcaption", {}, h("a", { href: file.url, download: name }, "Download"), " ", h("span", { class: "muted" }, name)));
  });
  return h("div", {},
    media.length ? h("div", { class: "outputs" }, media) : null,
    h("details", { open: !media.length }, h("summary", {}, "JSON"), json(output)));
}
