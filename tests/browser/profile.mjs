// Where the contributor's seconds go, in V8 without a browser: loads a
// single-threaded build of the wasm client in Node, loads the campaign
// written by `CIPHERPOOL_PROFILE_DIR=<dir> cargo run -p cipherpool-tests
// --bin bench-browser -- 1`, prepares the same record `runs` times, and
// prints each run's stages; under `node --cpu-prof` it also leaves a
// .cpuprofile, and `node profile.mjs --report <file>` prints the functions
// with the most samples (self and inclusive). The module keeps its function
// names only without build-wasm's `wasm-opt -O` (or with `-O -g`), e.g.
//   wasm-bindgen --target web --out-dir /tmp/pkg \
//     <target>/wasm32-unknown-unknown/release/cipherpool_client_wasm.wasm
//   node --cpu-prof --cpu-prof-interval 200 tests/browser/profile.mjs <dir> /tmp/pkg 1
//   node tests/browser/profile.mjs --report CPU.*.cpuprofile
// Not a test and not the benchmark (bench-browser measures the page).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

if (process.argv[2] === '--report') {
  const profile = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = new Map();
  for (const id of profile.samples) samples.set(id, (samples.get(id) ?? 0) + 1);
  const self = new Map();
  const inclusive = new Map();
  const name = (id) => nodes.get(id).callFrame.functionName || '(anonymous)';
  for (const [id, count] of samples) {
    self.set(name(id), (self.get(name(id)) ?? 0) + count);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      if (!seen.has(name(at))) inclusive.set(name(at), (inclusive.get(name(at)) ?? 0) + count);
      seen.add(name(at));
    }
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 30)
    .map(([k, v]) => `${((100 * v) / profile.samples.length).toFixed(1).padStart(5)}%  ${k.slice(0, 160)}`)
    .join('\n');
  console.log(`self\n${top(self)}\ninclusive\n${top(inclusive)}`);
  process.exit(0);
}

const [dir, pkg, runsArg] = process.argv.slice(2);
if (!dir || !pkg) {
  console.error('usage: node profile.mjs <inputs dir> <wasm-bindgen --target web dir> [runs] | --report <cpuprofile>');
  process.exit(2);
}
const client = await import(pathToFileURL(`${pkg}/cipherpool_client_wasm.js`).href);
client.initSync({ module: readFileSync(`${pkg}/cipherpool_client_wasm_bg.wasm`) });
const bytes = (f) => readFileSync(`${dir}/${f}`);
const text = (f) => readFileSync(`${dir}/${f}`, 'utf8');
let start = performance.now();
const campaign = client.loadCampaign(text('material.json'), bytes('public_key.bin'), bytes('crs.bin'),
  text('circuit_keys.json'), bytes('proving_key.bin'), text('keyholder_keys.txt'));
console.log(`load ${(performance.now() - start).toFixed(0)} ms`);
const [secret, identity, record] = ['secret.txt', 'identity.json', 'record.json'].map(text);
for (let i = 0; i < Number(runsArg ?? 1); i++) {
  start = performance.now();
  const stages = [];
  campaign.prepare(secret, identity, record,
    (stage) => stages.push(`${stage} at ${(performance.now() - start).toFixed(0)} ms`));
  console.log(`prepare ${(performance.now() - start).toFixed(0)} ms (${stages.join(', ')})`);
}
