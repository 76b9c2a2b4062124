#!/usr/bin/env node
// Validates SBOM documents for Bulkhead's tests.
//
//   node validate.js --type cyclonedx|spdx [--spdx-schema FILE] DOCUMENT...
//
// Prints one line per document, "VALID <file>" or "INVALID <file>: <reasons>", then exits
// 0 when every document is valid, 1 when one is not, 2 when the validator itself cannot run.
//
// CycloneDX 1.5: the CycloneDX project's own validator (@cyclonedx/cyclonedx-library's
// Validation.JsonValidator), which runs ajv over the official bom-1.5 schema with its
// spdx and jsf schemas as that package ships them; then the references a schema cannot
// check: unique bom-refs, dependencies that name existing ones.
//
// SPDX 2.3: ajv over the official spdx-schema.json when --spdx-schema (or $SPDX_SCHEMA)
// names it, else over spdx-2.3-document.schema.json beside this script (written from the
// SPDX 2.3 specification; see its $comment); then what the specification asks beyond any
// schema: unique SPDXIDs, relationships between existing elements, a DESCRIBES
// relationship, and license expressions that parse (spdx-expression-parse, over the SPDX
// license list) with every LicenseRef declared.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function usage(message) {
  process.stderr.write(`validate.js: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let type = '';
let spdxSchemaPath = process.env.SPDX_SCHEMA || '';
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--type') type = args[++i] || '';
  else if (args[i] === '--spdx-schema') spdxSchemaPath = args[++i] || '';
  else files.push(args[i]);
}
if (type !== 'cyclonedx' && type !== 'spdx') usage('--type cyclonedx|spdx is required');
if (files.length === 0) usage('no documents given');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function describeAjvErrors(errors) {
  return (errors || [])
    .slice(0, 10)
    .map((e) => {
      const params = e.params ? JSON.stringify(e.params) : '';
      return `${e.instancePath || '/'} ${e.message}${params ? ' ' + params.slice(0, 200) : ''}`;
    })
    .join('; ');
}

// --- CycloneDX ---------------------------------------------------------------------------

function cycloneDxReferences(bom) {
  const problems = [];
  const refs = new Set();
  const visit = (components) => {
    for (const c of components || []) {
      if (c['bom-ref'] !== undefined) {
        if (refs.has(c['bom-ref'])) problems.push(`duplicate bom-ref ${c['bom-ref']}`);
        refs.add(c['bom-ref']);
      }
      visit(c.components);
    }
  };
  const subject = bom.metadata && bom.metadata.component;
  if (subject) visit([subject]);
  visit(bom.components);
  for (const d of bom.dependencies || []) {
    if (!refs.has(d.ref)) problems.push(`dependency of unknown bom-ref ${d.ref}`);
    for (const target of d.dependsOn || []) {
      if (!refs.has(target)) problems.push(`${d.ref} depends on unknown bom-ref ${target}`);
    }
  }
  return problems.slice(0, 10);
}

async function validateCycloneDx() {
  const CDX = require('@cyclonedx/cyclonedx-library');
  const validator = new CDX.Validation.JsonValidator(CDX.Spec.Version.v1dot5);
  let failed = false;
  for (const file of files) {
    let text;
    let bom;
    try {
      text = fs.readFileSync(file, 'utf8');
      bom = JSON.parse(text);
    } catch (e) {
      console.log(`INVALID ${file}: not JSON: ${e.message}`);
      failed = true;
      continue;
    }
    const errors = await validator.validate(text);
    const problems = [];
    if (errors !== null) problems.push(`schema: ${describeAjvErrors(errors)}`);
    if (bom && typeof bom === 'object') problems.push(...cycloneDxReferences(bom));
    if (problems.length > 0) {
      console.log(`INVALID ${file}: ${problems.join('; ')}`);
      failed = true;
    } else {
      console.log(`VALID ${file}`);
    }
  }
  return failed;
}

// --- SPDX --------------------------------------------------------------------------------

function spdxSemantics(doc) {
  const problems = [];
  const parse = require('spdx-expression-parse');
  const ids = new Set(['SPDXRef-DOCUMENT']);
  const elements = [...(doc.packages || []), ...(doc.files || []), ...(doc.snippets || [])];
  for (const e of elements) {
    if (ids.has(e.SPDXID)) problems.push(`duplicate SPDXID ${e.SPDXID}`);
    ids.add(e.SPDXID);
  }
  let describes = (doc.documentDescribes || []).length > 0;
  for (const r of doc.relationships || []) {
    for (const id of [r.spdxElementId, r.relatedSpdxElement]) {
      if (!ids.has(id) && id !== 'NONE' && id !== 'NOASSERTION' && !String(id).startsWith('DocumentRef-')) {
        problems.push(`relationship names unknown element ${id}`);
      }
    }
    if (r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES') describes = true;
  }
  if (!describes) problems.push('the document DESCRIBES nothing');
  const declared = new Set((doc.hasExtractedLicensingInfos || []).map((i) => i.licenseId));
  const refsIn = (node, out) => {
    if (!node) return out;
    if (node.license !== undefined) {
      if (node.license.startsWith('LicenseRef-')) out.push(node.license);
    } else {
      refsIn(node.left, out);
      refsIn(node.right, out);
    }
    return out;
  };
  for (const p of doc.packages || []) {
    for (const field of ['licenseDeclared', 'licenseConcluded']) {
      const value = p[field];
      if (value === undefined || value === 'NOASSERTION' || value === 'NONE') continue;
      let tree;
      try {
        tree = parse(value);
      } catch (e) {
        problems.push(`${p.SPDXID} ${field} "${value}" is not an SPDX expression: ${e.message}`);
        continue;
      }
      for (const ref of refsIn(tree, [])) {
        if (!declared.has(ref)) problems.push(`${p.SPDXID} ${field} uses undeclared ${ref}`);
      }
    }
  }
  return problems.slice(0, 10);
}

async function validateSpdx() {
  const Ajv = require('ajv');
  const addFormats = require('ajv-formats');
  const schemaPath = spdxSchemaPath || path.join(__dirname, 'spdx-2.3-document.schema.json');
  const schema = readJson(schemaPath);
  // The official 2.3.x schemas name draft-07 (tag v2.3) or draft 2019-09 (2.3.1).
  const draft = String(schema.$schema || '');
  const AjvClass = draft.includes('2020-12')
    ? require('ajv/dist/2020')
    : draft.includes('2019-09')
      ? require('ajv/dist/2019')
      : Ajv;
  const ajv = new AjvClass({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  let failed = false;
  for (const file of files) {
    let doc;
    try {
      doc = readJson(file);
    } catch (e) {
      console.log(`INVALID ${file}: not JSON: ${e.message}`);
      failed = true;
      continue;
    }
    const problems = [];
    if (!validate(doc)) problems.push(`schema: ${describeAjvErrors(validate.errors)}`);
    if (doc && typeof doc === 'object') problems.push(...spdxSemantics(doc));
    if (problems.length > 0) {
      console.log(`INVALID ${file}: ${problems.join('; ')}`);
      failed = true;
    } else {
      console.log(`VALID ${file}`);
    }
  }
  return failed;
}

(type === 'cyclonedx' ? validateCycloneDx() : validateSpdx()).then(
  (failed) => process.exit(failed ? 1 : 0),
  (e) => {
    process.stderr.write(`validate.js: ${e && e.stack ? e.stack : e}\n`);
    process.exit(2);
  },
);
