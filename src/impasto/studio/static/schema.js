// JSON Schema as the endpoint's OpenAPI document carries it: $refs resolved, allOf merged.
const FILE_TYPES = { Image: "image", File: "file", Video: "video", Audio: "audio" };

export function resolver(components) {
  function ref(schema, seen) {
    const name = schema.$ref.split("/").pop();
    if (seen.has(name)) return [{ description: schema.description }, name];
    seen.add(name);
    return [components?.[name] ?? {}, name];
  }
  // -> { ...schema, _file?: "image"|"video"|..., _nullable?: true }
  return function normal(schema, seen = new Set()) {
    if (!schema || typeof schema !== "object") return {};
    let result = { ...schema };
    let name = null;
    if (result.$ref) {
      const [target, refName] = ref(result, new Set(seen));
      name = refName;
      const { $ref, ...rest } = result;
      result = { ...normal(target, new Set([...seen, refName])), ...rest };
    }
    if (Array.isArray(result.allOf)) {
      const parts = result.allOf.map((part) => normal(part, seen));
      const { allOf, ...rest } = result;
      result = Object.assign({}, ...parts, rest);
      if (parts.some((part) => part._file)) result._file = parts.find((part) => part._file)._file;
    }
    if (name && FILE_TYPES[name]) result._file = FILE_TYPES[name];
    for (const key of ["anyOf", "oneOf"]) {
      if (!Array.isArray(result[key])) continue;
      const options = result[key].filter((option) => option.type !== "null");
      if (options.length < result[key].length) result._nullable = true;
      const normals = options.map((option) => normal(option, seen));
      // A URL-or-file-object union is one file input.
      if (!result._file && normals.some((option) => option.type === "object" && option.properties?.url) && normals.some((option) => option.type === "string")) {
        result._file = "file";
      }
      if (normals.length === 1 && !result._file) {
        const { [key]: _, ...rest } = result;
        result = { ...normals[0], ...rest };
      } else {
        result[key] = normals;
      }
    }
    if (result.nullable) result._nullable = true;
    return result;
  };
}

export function typeOf(schema) {
  if (schema._file) return "file";
  if (Array.isArray(schema.enum)) return "enum";
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) return "union";
  const type = Array.isArray(schema.type) ? schema.type.find((item) => item !== "null") : schema.type;
  if (type === "object" && schema.properties) return "object";
  if (["string", "integer", "number", "boolean", "array"].includes(type)) return type;
  return "json";
}

export function labelFor(name, schema) {
  return schema.title || name.replace(/_/g, " ").replace(/^./, (first) => first.toUpperCase());
}
