// Removes the "name" custom section (function names for stack traces; about 380 KB raw,
// 100 KB gzip of the worker) from a Wasm module in place. Only that section goes: the
// code, data and every other custom section are copied byte for byte.
// Usage: node scripts/strip-wasm-names.mjs build/index_bg.wasm
import fs from "node:fs";

const path = process.argv[2];
const bytes = fs.readFileSync(path);
if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`${path} is not a Wasm module`);

function leb(offset) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, offset];
}

const kept = [bytes.subarray(0, 8)];
let removed = 0;
for (let offset = 8; offset < bytes.length; ) {
  const start = offset;
  const id = bytes[offset];
  const [size, body] = leb(offset + 1);
  const end = body + size;
  if (end > bytes.length) throw new Error(`${path}: truncated section at ${start}`);
  let name = null;
  if (id === 0) {
    const [length, text] = leb(body);
    name = bytes.subarray(text, text + length).toString("utf8");
  }
  if (name === "name") removed += end - start;
  else kept.push(bytes.subarray(start, end));
  offset = end;
}
const stripped = Buffer.concat(kept);
if (stripped.length !== bytes.length - removed) throw new Error(`${path}: sections did not add up`);
fs.writeFileSync(path, stripped);
console.log(`removed the name section (${removed} bytes)`);
