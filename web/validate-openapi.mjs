#!/usr/bin/env node
// Checks that an OpenAPI document is a valid OpenAPI 3.1 description.
//
//   node validate-openapi.mjs http://127.0.0.1:8000/openapi.json
//   node validate-openapi.mjs path/to/openapi.json
//
// Exit 0 with one line starting "valid:" on stdout; exit 1 with every
// problem on stderr; exit 2 on a usage error.
//
// The validator checks the document against the OpenAPI 3.1 JSON Schema and
// that every $ref resolves. Two rules of the specification that no schema can
// express are checked here as well, because Swagger UI and client generators
// trip over them: operationIds are unique, and every {name} in a path
// template is declared as a required path parameter.

import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";

const FETCH_TIMEOUT_MS = 10_000;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function fail(source, problems) {
  console.error(`invalid: ${source}`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}

async function load(source) {
  let text;
  if (/^https?:\/\//.test(source)) {
    let res;
    try {
      res = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (e) {
      fail(source, [`could not fetch: ${e.cause?.message ?? e.message}`]);
    }
    text = await res.text();
    if (res.status !== 200) fail(source, [`HTTP ${res.status}, expected 200: ${text.slice(0, 200)}`]);
    const type = res.headers.get("content-type") ?? "";
    if (!type.startsWith("application/json")) fail(source, [`Content-Type is '${type}', expected application/json`]);
  } else {
    try {
      text = await readFile(source, "utf8");
    } catch (e) {
      fail(source, [`could not read: ${e.message}`]);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(source, [`not JSON: ${e.message}`]);
  }
}

function operationProblems(doc) {
  const problems = [];
  const seenIds = new Map();
  let operations = 0;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const shared = item.parameters ?? [];
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      ++operations;
      const where = `${method.toUpperCase()} ${path}`;
      if (op.operationId !== undefined) {
        if (seenIds.has(op.operationId))
          problems.push(`${where}: operationId '${op.operationId}' already used by ${seenIds.get(op.operationId)}`);
        else seenIds.set(op.operationId, where);
      }
      // A parameter given as a $ref is not followed (its name is behind the
      // ref), so a template with any ref'd parameter is given the benefit.
      const declared = [...shared, ...(op.parameters ?? [])].filter((p) => p && p.in === "path");
      for (const name of templated) {
        const p = declared.find((d) => d.name === name);
        if (!p && !declared.some((d) => d.$ref)) problems.push(`${where}: path parameter '${name}' is not declared`);
        else if (p && p.required !== true) problems.push(`${where}: path parameter '${name}' must be required: true`);
      }
    }
  }
  return { problems, operations };
}

function describeSchemaError(e) {
  const at = e.instancePath === "" ? "(document root)" : e.instancePath;
  const params = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : "";
  return `${at}: ${e.message}${params}`;
}

const args = process.argv.slice(2);
if (args.length !== 1 || args[0].startsWith("-")) {
  console.error("usage: node validate-openapi.mjs URL-or-FILE");
  process.exit(2);
}
const source = args[0];
const doc = await load(source);
if (doc === null || typeof doc !== "object" || Array.isArray(doc)) fail(source, ["the document is not a JSON object"]);
if (typeof doc.openapi !== "string") fail(source, ["no 'openapi' version string at the top level"]);
if (!/^3\.1\.\d+$/.test(doc.openapi)) fail(source, [`'openapi' is '${doc.openapi}', expected 3.1.x`]);

const validator = new Validator();
const result = await validator.validate(doc);
if (!result.valid) {
  const errors = Array.isArray(result.errors) ? result.errors.map(describeSchemaError) : [String(result.errors)];
  fail(source, errors);
}
const { problems, operations } = operationProblems(doc);
if (problems.length) fail(source, problems);

const paths = Object.keys(doc.paths ?? {}).length;
console.log(`valid: ${source} (OpenAPI ${doc.openapi}, ${paths} paths, ${operations} operations)`);
