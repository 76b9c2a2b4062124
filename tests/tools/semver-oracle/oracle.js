// Reference for the SemVer and npm range differential tests (tests/vuln/versions/): npm's
// own semver package judges every case of the file given as argument, one
// "kind<TAB>a<TAB>b" line each, in this one process.
//
//   C a b   semver.compare(a, b): -1, 0 or 1; E if either is invalid
//   R r v   semver.satisfies(v, r): 1 or 0; E if the range or the version is invalid
'use strict'

const fs = require('fs')
const semver = require('semver')

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n')
const out = []
for (const line of lines) {
  if (line === '') continue
  const [kind, a, b] = line.split('\t')
  try {
    if (kind === 'C') {
      if (semver.valid(a) === null || semver.valid(b) === null) {
        out.push('E')
      } else {
        out.push(String(semver.compare(a, b)))
      }
    } else {
      if (semver.valid(b) === null) {
        out.push('E')
      } else {
        const range = new semver.Range(a)
        out.push(range.test(b) ? '1' : '0')
      }
    }
  } catch (e) {
    out.push('E')
  }
}
process.stdout.write(out.join('\n') + '\n')
