// Scores cache-tests results files (JSON, as `npm run cli` prints them) against the suite's own
// test list, with the suite's own verdict function (test-engine/lib/results.mjs): for each file,
// how many "required" tests passed or failed (setup, harness and dependency failures counted
// apart), how many "optimal" ones, and the yes/no of the "check" ones. Per test group with -g.
//
// usage: node bench/cache-tests-score.mjs SUITE_DIR [-g] NAME=results.json...
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import fs from 'node:fs'

const args = process.argv.slice(2)
const suite = path.resolve(args.shift())
const byGroup = args[0] === '-g' && args.shift()
const load = p => import(pathToFileURL(path.join(suite, p)).href)
const tests = (await load('tests/index.mjs')).default
const { determineTestResult, resultTypes } = await load('test-engine/lib/results.mjs')

const bucket = r => {
  for (const [name, t] of Object.entries(resultTypes)) if (t === r) return name
  return 'unknown'
}

function score (results, only) {
  const c = {}
  for (const s of tests) {
    if (only && s.id !== only) continue
    for (const t of s.tests) {
      const kind = t.kind || 'required'
      const b = bucket(determineTestResult(tests, t.id, results))
      const k = `${kind}.${b}`
      c[k] = (c[k] || 0) + 1
    }
  }
  return c
}

function line (name, c) {
  const g = k => c[k] || 0
  const other = kind => ['setup_fail', 'harness_fail', 'dependency_fail', 'retry', 'untested']
    .reduce((n, b) => n + g(`${kind}.${b}`), 0)
  return `${name.padEnd(14)} required ${String(g('required.pass')).padStart(3)} pass ${String(g('required.fail')).padStart(3)} fail ${String(other('required')).padStart(3)} other | ` +
    `optimal ${String(g('optimal.pass')).padStart(3)} pass ${String(g('optimal.optional_fail')).padStart(3)} fail ${String(other('optimal')).padStart(3)} other | ` +
    `check ${String(g('check.yes')).padStart(3)} yes ${String(g('check.no')).padStart(3)} no`
}

const files = args.map(a => {
  const [name, file] = a.includes('=') ? a.split('=') : [path.basename(a, '.json'), a]
  return [name, JSON.parse(fs.readFileSync(file, 'utf8'))]
})
const total = tests.reduce((n, s) => n + s.tests.length, 0)
console.log(`cache-tests: ${total} tests in ${tests.length} groups`)
for (const [name, r] of files) console.log(line(name, score(r)))
if (byGroup) {
  for (const s of tests) {
    console.log(`\n[${s.id}] ${s.name}`)
    for (const [name, r] of files) console.log('  ' + line(name, score(r, s.id)))
  }
}
