// What the pages use beyond the DOM's own types, declared for tsc
// (tsconfig.json): the extension APIs (platform.js, web/extension) and the
// hook through which the wasm client's panic message reaches worker.js.

/** The browser extension's APIs (chrome.storage, chrome.tabs…), present only in the extension. */
declare const chrome: any;

interface Window {
  /** Set by worker.js; client-wasm's panic hook hands it the panic's message. */
  cipherpoolPanic?: (message: string) => void;
}
