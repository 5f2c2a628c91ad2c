// Ready-to-paste client calls pointed at this server.
export function snippets(endpointId, input) {
  const origin = location.origin;
  const host = location.host;
  const body = JSON.stringify(input ?? {}, null, 2);
  const python = `# pip install fal-client   (it speaks https: serve with \`impasto serve --tls\`)
import os
os.environ["FAL_RUN_HOST"] = "${host}/run"
os.environ["FAL_QUEUE_RUN_HOST"] = "${host}/queue"
os.environ["FAL_KEY"] = "<key_id>:<key_secret>"

import fal_client

result = fal_client.subscribe(
    "${endpointId}",
    arguments=${indent(toPython(input ?? {}), 4)},
    with_logs=True,
)
print(result)`;
  const js = `// npm install @fal-ai/client  — through this server's fal proxy
import { fal } from "@fal-ai/client";

fal.config({
  credentials: "<key_id>:<key_secret>",
  proxyUrl: { url: "${origin}/api/fal/proxy", when: "always" },
});

const result = await fal.subscribe("${endpointId}", {
  input: ${indent(body, 2)},
  logs: true,
});
console.log(result.data);`;
  const curl = `curl -X POST "${origin}/queue/${endpointId}" \\
  -H "Authorization: Key $FAL_KEY" \\
  -H "Content-Type: application/json" \\
  -d '${body.replace(/'/g, "'\\''")}'`;
  return { python, js, curl };
}

function indent(text, spaces) {
  return text.split("\n").join(`\n${" ".repeat(spaces)}`);
}

function toPython(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toPython).join(", ")}]`;
  const items = Object.entries(value).map(([key, item]) => `    ${JSON.stringify(key)}: ${toPython(item)},`);
  return items.length ? `{\n${items.join("\n")}\n}` : "{}";
}
