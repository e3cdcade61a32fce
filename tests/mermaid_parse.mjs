// Parse Mermaid diagrams with mermaid's own parser; used by tests/test_target_docs.py.
// Reads a JSON array of diagram texts on stdin, writes a JSON array: null for a diagram that
// parses, else the parser's message. mermaid expects a DOM (DOMPurify), which jsdom supplies.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

const diagrams = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const text of diagrams) {
  try {
    await mermaid.parse(text);
    results.push(null);
  } catch (error) {
    results.push(String((error && error.message) || error));
  }
}
process.stdout.write(JSON.stringify(results));
