// The page's side of the crypto worker: sealed.seal(publicKey, bytes) and the rest of
// envelope.js, each a promise, run in one module worker per page.
let worker = null;
let next = 0;
const waiting = new Map();

// The pages allow Trusted Types only through this policy (shared/http/middlewares.py): a
// worker's address is the crypto worker's, on this origin, or nothing.
const WORKER = new URL("./crypto-worker.js", import.meta.url).href;
const policy = self.trustedTypes
  ? self.trustedTypes.createPolicy("vertrouwd", {
    createScriptURL: (url) => {
      if (url !== WORKER) throw new TypeError(`not the crypto worker: ${url}`);
      return url;
    },
  })
  : null;

function call(op, ...args) {
  if (!worker) {
    worker = new Worker(policy ? policy.createScriptURL(WORKER) : WORKER, { type: "module" });
    worker.addEventListener("message", (event) => {
      const { id, value, error } = event.data;
      const pending = waiting.get(id);
      waiting.delete(id);
      if (error) pending.reject(new Error(error)); else pending.resolve(value);
    });
  }
  const id = next++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, op, args });
  });
}

export const keyPair = () => call("keyPair");
export const seal = (publicKey, data) => call("seal", publicKey, data);
export const openSealed = (pair, sealed) => call("openSealed", pair, sealed);
export const wrap = (key, data) => call("wrap", key, data);
export const unwrap = (key, wrapped) => call("unwrap", key, wrapped);
export const derive = (password, salt, ops, memory) => call("derive", password, salt, ops, memory);
export const codeKeys = (code) => call("codeKeys", code);
export const certified = (signingKey, personId, publicKey, signature, messageKey) =>
  call("certified", signingKey, personId, publicKey, signature, messageKey);
export const messageKey = (privateKey) => call("messageKey", privateKey);
export const signMessage = (privateKey, caseId, text) => call("signMessage", privateKey, caseId, text);
export const signedMessage = (key, caseId, opened) => call("signedMessage", key, caseId, opened);
export const loginSecret = (username, password) => call("loginSecret", username, password);
