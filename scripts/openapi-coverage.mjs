// Every operation of the OpenAPI document must have been checked by the end-to-end
// suite answering both a success (2xx) and a problem (4xx/5xx). The suite appends one
// `METHOD /pattern status` line per checked response to the file it is given
// (TORA_OPENAPI_CHECKED, see tests/e2e/src/openapi.rs).
// Usage: node scripts/openapi-coverage.mjs crates/tora-core/openapi.json CHECKED_FILE
import fs from "node:fs";

const [documentPath, checkedPath] = process.argv.slice(2);
const document = JSON.parse(fs.readFileSync(documentPath, "utf8"));
const succeeded = new Set();
const failed = new Set();
for (const line of fs.readFileSync(checkedPath, "utf8").split("\n")) {
  const [method, pattern, status] = line.split(" ");
  if (!status) continue;
  (status.startsWith("2") ? succeeded : failed).add(`${method} ${pattern}`);
}
const missing = [];
for (const [pattern, item] of Object.entries(document.paths)) {
  for (const method of Object.keys(item)) {
    const operation = `${method.toUpperCase()} ${pattern}`;
    if (!succeeded.has(operation)) missing.push(`${operation}: no success checked`);
    if (!failed.has(operation)) missing.push(`${operation}: no problem checked`);
  }
}
if (missing.length > 0) {
  console.error(`the end-to-end suite left operations of the OpenAPI document unchecked:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`every operation of the OpenAPI document was checked answering a success and a problem`);
