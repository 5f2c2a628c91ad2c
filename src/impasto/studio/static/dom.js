// Elements from data: text always goes in as text (textContent / text nodes), never as HTML.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "value" || name === "checked") element[name] = value;
    else if (name === "href" || name === "src") element.setAttribute(name, safeUrl(value));
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function clear(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

// Only web and same-site URLs become links or sources: no javascript:, no data: documents.
export function safeUrl(url) {
  const text = String(url);
  if (text.startsWith("blob:") || text.startsWith("data:image/")) return text;
  try {
    const parsed = new URL(text, location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : "about:blank";
  } catch {
    return "about:blank";
  }
}

export function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.add("shown");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("shown"), 3500);
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error?.message ?? String(error));
}

export function when(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export async function copy(text, what = "Copied") {
  try {
    await navigator.clipboard.writeText(text);
    toast(what);
  } catch {
    toast("Copy failed: select the text and copy it");
  }
}

// Calls `more` while the sentinel is near the viewport and `more` says there is more.
// Returns `fill`, the one way pages load: a call during a load runs once more after it,
// so a new search never races the page still arriving for the old one.
export function infinite(sentinel, more) {
  let busy = false;
  let again = false;
  const near = () => sentinel.getBoundingClientRect().top < window.innerHeight + 600;
  async function fill() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        while (near() && (await more())) { /* keep filling the screen */ }
      } while (again);
    } finally {
      busy = false;
    }
  }
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) fill();
  }, { rootMargin: "600px" }).observe(sentinel);
  return fill;
}

export function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}
