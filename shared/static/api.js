// What a /v1 API said when it refused: its message and the fields it found wrong, in one line
// (every service answers errors as {"error": {"code", "message", "fields"}}).
"use strict";
// Where this page's own API is: "/" on the service's own address, "/api/<service>/" behind the
// front door (the page says which in <meta name="vertrouwd-api">). apiUrl("/v1/cases") is the
// address to fetch.
window.apiUrl = function (path) {
  const meta = document.querySelector('meta[name="vertrouwd-api"]');
  return (meta ? meta.content : "/").replace(/\/$/, "") + path;
};
window.refusal = async function (answer) {
  try {
    const error = (await answer.json()).error || {};
    const fields = Object.entries(error.fields || {}).map(([field, why]) => `${field}: ${why}`);
    return [error.message, ...fields].filter(Boolean).join("; ") || String(answer.status);
  } catch (_) {
    return String(answer.status);  // not JSON (a proxy's page, say): the status says enough
  }
};
// A link with its text, for the pages that build lists of them.
window.link = function (href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
};
// Every item of a list, page by page: each list answers {"items": [...], "next": cursor}.
// ``get(path)`` fetches (with the page's token); a refusal is thrown as the answer.
window.allItems = async function (get, path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const answer = await get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    if (!answer.ok) throw answer;
    const page = await answer.json();
    items.push(...(page.items || []));
    cursor = page.next;
  } while (cursor);
  return items;
};
