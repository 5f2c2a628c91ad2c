// A form generated from an input JSON Schema: one field per property, nested objects as
// fieldsets, unions as a choice, files by upload or URL. Values are read back as JSON.
import { request, messageOf } from "./api.js";
import { clear, h } from "./dom.js";
import { labelFor, typeOf } from "./schema.js";

let counter = 0;
const nextId = () => `f${++counter}`;
const LONG_TEXT = /prompt|text|description|caption|instructions?/i;

export function buildForm(schema, normal) {
  const fields = new Map();
  const root = objectField([], normal(schema), normal, fields, true);
  return {
    element: root.element,
    value: () => root.get() ?? {},
    fill: (values) => root.set(values ?? {}),
    showErrors(detail) {
      for (const field of fields.values()) field.error("");
      const loose = [];
      for (const item of detail ?? []) {
        const path = (item.loc ?? []).slice(1);
        let field = null;
        for (let cut = path.length; cut > 0 && !field; cut -= 1) field = fields.get(path.slice(0, cut).join("."));
        if (field) field.error(item.msg);
        else loose.push(`${path.join(".") || "input"}: ${item.msg}`);
      }
      const first = [...fields.values()].find((field) => field.hasError());
      first?.focus();
      return loose;
    },
  };
}

function wrap(path, schema, control, fields, extra = {}) {
  const id = control.id || nextId();
  control.id = id;
  const message = h("span", { class: "field-error", id: `${id}-error`, role: "alert" });
  const name = path[path.length - 1] ?? "input";
  const element = h("div", { class: "field", "data-field": path.join(".") },
    extra.noLabel ? null : h("label", { for: id }, labelFor(String(name), schema), extra.required ? " *" : ""),
    extra.body ?? control,
    schema.description ? h("span", { class: "hint" }, schema.description) : null,
    message);
  const field = {
    element,
    error(text) {
      message.textContent = text;
      element.classList.toggle("invalid", Boolean(text));
      if (text) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      control.setAttribute("aria-describedby", `${id}-error`);
    },
    hasError: () => Boolean(message.textContent),
    focus: () => control.focus(),
  };
  fields.set(path.join("."), field);
  return field;
}

function field(path, schema, normal, fields, required) {
  switch (typeOf(schema)) {
    case "object": return objectField(path, schema, normal, fields, required);
    case "enum": return enumField(path, schema, fields, required);
    case "boolean": return booleanField(path, schema, fields);
    case "integer":
    case "number": return numberField(path, schema, fields, required);
    case "string": return stringField(path, schema, fields, required);
    case "file": return fileField(path, schema, fields, required);
    case "array": return arrayField(path, schema, normal, fields, required);
    case "union": return unionField(path, schema, normal, fields, required);
    default: return jsonField(path, schema, fields, required);
  }
}

function objectField(path, schema, normal, fields, required) {
  const required_ = new Set(schema.required ?? []);
  const children = Object.entries(schema.properties ?? {}).map(([name, property]) => [
    name, field([...path, name], normal(property), normal, fields, required_.has(name)),
  ]);
  const body = children.map(([, child]) => child.element);
  const element = path.length === 0
    ? h("div", { class: "fields" }, body)
    : h("div", { class: "field", "data-field": path.join(".") },
      h("fieldset", {}, h("legend", {}, labelFor(String(path[path.length - 1]), schema)),
        schema.description ? h("p", { class: "hint" }, schema.description) : null, body));
  return {
    element,
    get() {
      const value = {};
      for (const [name, child] of children) {
        const item = child.get();
        if (item !== undefined) value[name] = item;
      }
      return Object.keys(value).length || required || path.length === 0 ? value : undefined;
    },
    set(values) {
      for (const [name, child] of children) if (values && name in values) child.set(values[name]);
    },
  };
}

function enumField(path, schema, fields, required) {
  const select = h("select", { name: path.join(".") },
    !required || schema._nullable || schema.default === undefined ? h("option", { value: "" }, schema.default != null ? `default (${schema.default})` : "—") : null,
    schema.enum.filter((item) => item !== null).map((item) => h("option", { value: JSON.stringify(item) }, String(item))));
  if (required && schema.default !== undefined && schema.default !== null) select.value = JSON.stringify(schema.default);
  wrap(path, schema, select, fields, { required });
  return {
    element: fields.get(path.join(".")).element,
    get: () => (select.value === "" ? undefined : JSON.parse(select.value)),
    set: (value) => { select.value = value == null ? "" : JSON.stringify(value); },
  };
}

function booleanField(path, schema, fields) {
  const box = h("input", { type: "checkbox", name: path.join("."), checked: Boolean(schema.default) });
  const initial = Boolean(schema.default);
  const field_ = wrap(path, schema, box, fields, {
    noLabel: true,
    body: h("label", { class: "row" }, box, labelFor(String(path[path.length - 1]), schema)),
  });
  return {
    element: field_.element,
    get: () => (box.checked === initial ? undefined : box.checked),
    set: (value) => { box.checked = Boolean(value); },
  };
}

function numberField(path, schema, fields, required) {
  const integer = typeOf(schema) === "integer";
  const attrs = {
    type: "number", name: path.join("."), step: integer ? 1 : "any",
    min: schema.minimum ?? schema.exclusiveMinimum, max: schema.maximum ?? schema.exclusiveMaximum,
    placeholder: schema.default != null ? String(schema.default) : "",
  };
  const input = h("input", attrs);
  let body = input;
  const name = String(path[path.length - 1] ?? "");
  if (/seed/i.test(name)) {
    body = h("div", { class: "row" }, input, h("button", {
      type: "button", class: "secondary",
      onclick: () => { input.value = String(Math.floor(Math.random() * 2 ** 31)); },
    }, "Randomise"));
  } else if (attrs.min !== undefined && attrs.max !== undefined && attrs.max - attrs.min <= 100000) {
    const slider = h("input", { type: "range", min: attrs.min, max: attrs.max, step: integer ? 1 : (attrs.max - attrs.min) / 100, "aria-label": `${labelFor(name, schema)} slider`, value: schema.default ?? attrs.min });
    slider.addEventListener("input", () => { input.value = slider.value; });
    input.addEventListener("input", () => { if (input.value !== "") slider.value = input.value; });
    body = h("div", { class: "row" }, slider, input);
  }
  wrap(path, schema, input, fields, { required, body });
  return {
    element: fields.get(path.join(".")).element,
    get: () => (input.value === "" ? undefined : Number(input.value)),
    set: (value) => { input.value = value == null ? "" : String(value); },
  };
}

function stringField(path, schema, fields, required) {
  const name = String(path[path.length - 1] ?? "");
  const long = LONG_TEXT.test(name) || (schema.maxLength ?? 0) > 200;
  const input = long
    ? h("textarea", { name: path.join("."), rows: 4, placeholder: schema.default ?? "" })
    : h("input", { type: schema.format === "uri" ? "url" : "text", name: path.join("."), placeholder: schema.default ?? "" });
  wrap(path, schema, input, fields, { required });
  return {
    element: fields.get(path.join(".")).element,
    get: () => (input.value === "" ? undefined : input.value),
    set: (value) => { input.value = value == null ? "" : String(value); },
  };
}

function jsonField(path, schema, fields, required) {
  const input = h("textarea", { name: path.join("."), rows: 3, class: "mono", placeholder: "JSON" });
  const field_ = wrap(path, schema, input, fields, { required });
  return {
    element: field_.element,
    get() {
      if (input.value.trim() === "") return undefined;
      try {
        return JSON.parse(input.value);
      } catch {
        return input.value; // sent as text; the server says what is wrong with it
      }
    },
    set: (value) => { input.value = value === undefined ? "" : JSON.stringify(value, null, 2); },
  };
}

function fileField(path, schema, fields, required) {
  const kind = schema._file ?? "file";
  const url = h("input", { type: "url", name: path.join("."), placeholder: `${kind} URL, or drop a file here` });
  const picker = h("input", { type: "file", "aria-label": `Upload ${kind}`, accept: kind === "file" ? undefined : `${kind}/*` });
  const preview = h("div", { class: "preview" });
  const status = h("span", { class: "hint", "aria-live": "polite" });
  const zone = h("div", { class: "drop" }, url, h("div", { class: "row" }, picker, status), preview);
  async function take(file) {
    status.textContent = `Uploading ${file.name}…`;
    try {
      url.value = await upload(file);
      status.textContent = `Uploaded ${file.name}`;
      showPreview();
    } catch (error) {
      status.textContent = error.message;
    }
  }
  function showPreview() {
    clear(preview, kind === "image" && url.value ? h("img", { src: url.value, alt: "" }) : null);
  }
  picker.addEventListener("change", () => picker.files[0] && take(picker.files[0]));
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files[0]) take(event.dataTransfer.files[0]);
  });
  url.addEventListener("change", showPreview);
  wrap(path, schema, url, fields, { required, body: zone });
  return {
    element: fields.get(path.join(".")).element,
    get: () => (url.value === "" ? undefined : url.value),
    set: (value) => { url.value = typeof value === "string" ? value : value?.url ?? ""; showPreview(); },
  };
}

function arrayField(path, schema, normal, fields, required) {
  const items = normal(schema.items ?? {});
  const simple = ["string", "integer", "number", "file", "enum"].includes(typeOf(items));
  if (!simple) return jsonField(path, schema, fields, required);
  const list = h("div", { class: "items" });
  const entries = [];
  const add = (value) => {
    const index = entries.length;
    const child = field([...path, index], { ...items, title: `${labelFor(String(path[path.length - 1]), schema)} ${index + 1}` }, normal, fields, false);
    entries.push(child);
    list.append(child.element);
    if (value !== undefined) child.set(value);
  };
  const more = h("button", { type: "button", class: "secondary", onclick: () => add() }, "Add item");
  const element = h("div", { class: "field", "data-field": path.join(".") },
    h("span", { class: "label" }, h("strong", {}, labelFor(String(path[path.length - 1]), schema))),
    schema.description ? h("span", { class: "hint" }, schema.description) : null, list, more);
  fields.set(path.join("."), {
    element, error: (text) => { element.classList.toggle("invalid", Boolean(text)); if (text) more.setAttribute("title", text); },
    hasError: () => element.classList.contains("invalid"), focus: () => more.focus(),
  });
  add();
  return {
    element,
    get() {
      const values = entries.map((entry) => entry.get()).filter((value) => value !== undefined);
      return values.length ? values : undefined;
    },
    set(values) {
      entries.splice(0);
      clear(list);
      for (const value of Array.isArray(values) ? values : []) add(value);
      if (!entries.length) add();
    },
  };
}

function unionField(path, schema, normal, fields, required) {
  const options = schema.anyOf ?? schema.oneOf;
  const choice = h("select", { "aria-label": `${labelFor(String(path[path.length - 1] ?? "input"), schema)} kind` },
    options.map((option, index) => h("option", { value: index }, option.title ?? typeOf(option))));
  const slot = h("div", {});
  let current = null;
  const show = () => {
    current = field(path, { ...options[Number(choice.value)], description: undefined, title: schema.title ?? options[Number(choice.value)].title }, normal, fields, required);
    clear(slot, current.element);
  };
  choice.addEventListener("change", show);
  show();
  const element = h("div", { class: "field union" }, choice, slot,
    schema.description ? h("span", { class: "hint" }, schema.description) : null);
  return { element, get: () => current.get(), set: (value) => current.set(value) };
}

export async function upload(file) {
  // Header values are bytes: the UTF-8 name travels as latin-1, as the server expects.
  const name = unescape(encodeURIComponent(file.name));
  const response = await request("/files/upload", {
    method: "POST",
    body: file,
    headers: { "Content-Type": file.type || "application/octet-stream", "X-Fal-File-Name": name },
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(messageOf(data, `Upload failed (${response.status})`));
  return data.access_url;
}
