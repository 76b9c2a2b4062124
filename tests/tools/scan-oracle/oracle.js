#!/usr/bin/env node
// The scan end-to-end test's oracle for npm and Go: which advisories of the shared feeds
// apply to the packages the real tools list (`npm ls --all --json`, `go version -m`),
// computed with npm's own semver straight from the advisory files, never with Bulkhead.
// Prints one line per (ecosystem, name, version, advisory id), tab-separated.
//
//   node oracle.js --advisories DIR --npm-ls FILE --go-version-m FILE

'use strict';
const fs = require('fs');
const path = require('path');
const semver = require('semver');

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['advisories', 'npm-ls', 'go-version-m']) {
    if (!out[k]) throw new Error(`missing --${k}`);
  }
  return out;
}

// name@version of every package in an `npm ls --all --json` tree.
function npmPackages(file) {
  const seen = new Set();
  const walk = (deps) => {
    for (const [name, node] of Object.entries(deps || {})) {
      if (node.version) seen.add(`${name}\t${node.version}`);
      walk(node.dependencies);
    }
  };
  walk(JSON.parse(fs.readFileSync(file, 'utf8')).dependencies);
  return [...seen].map((s) => s.split('\t'));
}

// Node.js security WG: affected when vulnerable_versions holds and patched_versions does not.
function npmFindings(dir, packages, out) {
  const byName = new Map();
  for (const [name, version] of packages) {
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(version);
  }
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    const a = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const versions = byName.get(a.module_name);
    if (!versions || !a.vulnerable_versions) continue;
    for (const v of versions) {
      if (!semver.satisfies(v, a.vulnerable_versions)) continue;
      if (a.patched_versions && semver.satisfies(v, a.patched_versions)) continue;
      out.add(`npm\t${a.module_name}\t${v}\tNSWG-ECO-${a.id}`);
    }
  }
}

// `go version -m`: the toolchain of each binary (stdlib) and its dependency modules.
function goModules(file) {
  const out = new Set();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const toolchain = line.match(/^\S.*: go(\d+\.\d+(?:\.\d+)?)\s*$/);
    if (toolchain) {
      out.add(`stdlib\tv${toolchain[1]}`);
      continue;
    }
    const dep = line.match(/^\t(?:dep|mod)\t(\S+)\t(v\S+)/);
    if (dep) out.add(`${dep[1]}\t${dep[2]}`);
  }
  return [...out].map((s) => s.split('\t'));
}

// OSV SEMVER ranges as npm range strings: introduced/fixed/last_affected pairs, sorted by
// version as OSV says, joined with ||.
function osvRange(events) {
  const ev = events.map((e) => {
    const [kind, value] = Object.entries(e)[0];
    return { kind, value, sort: value === '0' ? '0.0.0-0' : value };
  });
  ev.sort((a, b) => semver.compare(a.sort, b.sort));
  const parts = [];
  let open = null;
  for (const e of ev) {
    if (e.kind === 'introduced') {
      if (open === null) open = e.value === '0' ? '>=0.0.0-0' : `>=${e.value}`;
    } else if (e.kind === 'fixed' && open !== null) {
      parts.push(`${open} <${e.value}`);
      open = null;
    } else if (e.kind === 'last_affected' && open !== null) {
      parts.push(`${open} <=${e.value}`);
      open = null;
    }
  }
  if (open !== null) parts.push(open);
  return parts.join(' || ');
}

function goFindings(dir, modules, out) {
  const byPath = new Map();
  for (const [mod, version] of modules) {
    if (!byPath.has(mod)) byPath.set(mod, []);
    byPath.get(mod).push(version);
  }
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    const rec = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (rec.withdrawn) continue;
    for (const aff of rec.affected || []) {
      const versions = byPath.get(aff.package && aff.package.name);
      if (!versions) continue;
      for (const v of versions) {
        const bare = v.replace(/^v/, '');
        const hit = (aff.ranges || []).some((r) => r.type === 'SEMVER' &&
          semver.satisfies(bare, osvRange(r.events), { includePrerelease: true }));
        if (hit) out.add(`golang\t${aff.package.name}\t${v}\t${rec.id}`);
      }
    }
  }
}

function main() {
  const a = args();
  const out = new Set();
  npmFindings(path.join(a.advisories, 'nodejs-security-wg/vuln/npm'), npmPackages(a['npm-ls']), out);
  goFindings(path.join(a.advisories, 'golang-vulndb/osv'), goModules(a['go-version-m']), out);
  process.stdout.write([...out].sort().join('\n') + (out.size ? '\n' : ''));
}

main();
