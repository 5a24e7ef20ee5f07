// What one service's page hands to another's: a token in the URL fragment (never sent to a
// server or in a referrer), kept in this tab's session storage and taken out of the address.
export function handover(key) {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("t")) {
    sessionStorage.setItem(key, JSON.stringify(Object.fromEntries(fragment)));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return JSON.parse(sessionStorage.getItem(key) || "null");
}

// The claims of a token (to know whose page this is; the API checks the token itself).
export function claims(token) {
  return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
}
