// @ts-check
// The contributor client (client-wasm) in a module Web Worker, so that the
// slow encrypt + prove step never blocks the page. A tiny RPC:
//   in:  {id, method, args}
//   out: {id, result} | {id, error, fatal} | {id, progress: {stage, percent}}
// The worker makes no network requests of its own beyond loading the module.
// Two builds of the client (scripts/build-wasm): web/pkg-threads computes
// on a pool of Web Workers sharing its memory (rayon through
// wasm-bindgen-rayon), which needs SharedArrayBuffer, so a cross-origin
// isolated page (the server's and the extension's COOP/COEP headers);
// elsewhere web/pkg computes on this worker alone. Chosen here, at run time.
const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';

/** @type {any} the module's exports */
let client;
const ready = (async () => {
  if (isolated) {
    try {
      // @ts-ignore: web/pkg-threads is built by scripts/build-wasm.
      const threaded = await import('../pkg-threads/cipherpool_client_wasm.js');
      await threaded.default();
      await threaded.initThreadPool(Math.max(1, navigator.hardwareConcurrency || 1));
      client = threaded;
      return;
    } catch (err) {
      console.warn(`the threaded client could not start (${err}); computing on one thread`);
    }
  }
  // @ts-ignore: web/pkg is built by scripts/build-wasm, which the tsc gate of scripts/test does not wait for.
  const single = await import('../pkg/cipherpool_client_wasm.js');
  await single.default();
  client = single;
})().then(() => {
  // The page listens on a BroadcastChannel named after this worker for
  // panics on the pool's workers (this worker is blocked meanwhile and
  // could not report them).
  if (self.name) client.setPanicChannel(self.name);
});

// A Rust panic's message, handed over by the module's panic hook just
// before it traps (client-wasm's `start`).
let lastPanic = null;
self.cipherpoolPanic = (message) => {
  lastPanic = message;
};

// Campaigns loaded ahead of the click (material checked, keys parsed), by
// the page's key for them; the latest load of a key replaces the previous.
const campaigns = new Map();

const methods = {
  // Which build runs, and on how many threads (the module's own count).
  runtime: () => ({ isolated, threaded: 'initThreadPool' in client, threads: client.threadCount() }),
  newIdentitySecret: () => client.newIdentitySecret(),
  identityCommitment: (secretHex) => client.identityCommitment(secretHex),
  checkRecord: (schemaJson, recordJson) => client.checkRecord(schemaJson, recordJson),
  verifyMaterial: (materialJson, keys) => client.verifyMaterial(materialJson, keys),
  noteFromReceipt: (secretHex, receiptJson) => client.noteFromReceipt(secretHex, receiptJson),
  findNotes: (secretHex, campaignsJson, pagesJson) => client.findNotes(secretHex, campaignsJson, pagesJson),
  verifyCircuitKeys: (circuitKeysJson, keys) => client.verifyCircuitKeys(circuitKeysJson, keys),
  prepareClaim: (circuitKeysJson, claimKey, keys, secretHex, notesJson, pagesJson, destination) =>
    client.prepareClaim(circuitKeysJson, new Uint8Array(claimKey), keys, secretHex, notesJson, pagesJson, destination),
  loadCampaign: (key, materialJson, publicKey, crs, circuitKeysJson, provingKey, keys) => {
    const loaded = client.loadCampaign(materialJson, new Uint8Array(publicKey), new Uint8Array(crs),
      circuitKeysJson, new Uint8Array(provingKey), keys);
    campaigns.get(key)?.free();
    campaigns.set(key, loaded);
  },
  // Diagnostics (threaded build): a panic on a pool worker (browser tests).
  panicOnPool: () => client.panicOnPool(),
  prepareContribution: (id, key, secretHex, identityJson, recordJson) => {
    const campaign = campaigns.get(key);
    if (!campaign) throw new Error('the campaign’s keys are not loaded');
    return campaign.prepare(secretHex, identityJson, recordJson,
      (stage, percent) => self.postMessage({ id, progress: { stage, percent } }));
  },
};

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    await ready;
    const fn = methods[method];
    if (!fn) throw new Error(`unknown method ${method}`);
    const result = method === 'prepareContribution' ? fn(id, ...args) : fn(...args);
    self.postMessage({ id, result: result ?? null });
  } catch (err) {
    // A Rust panic surfaces as a WebAssembly.RuntimeError ("unreachable"); the
    // module is unusable afterwards, so the page starts a fresh worker.
    const fatal = err instanceof WebAssembly.RuntimeError;
    const message = err instanceof Error ? err.message : String(err);
    const why = fatal ? (lastPanic ?? message) : message;
    lastPanic = null;
    self.postMessage({ id, error: fatal ? `the encryption module crashed (${why})` : message, fatal });
  }
};
