// @ts-check
// The extension's service worker: the toolbar button opens the contributor
// page (contribute.html, copied here by scripts/build-wasm) in a tab of its
// own. A tab, not a popup: encrypting and proving a record takes a while, and
// a popup closes (stopping its work) as soon as it loses focus.
chrome.action.onClicked.addListener(() => {
  chrome.tabs.create({ url: chrome.runtime.getURL('contribute.html') });
});
