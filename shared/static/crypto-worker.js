// The pages' crypto, off the main thread: each message {id, op, args} is answered with
// {id, value} or {id, error}. Keys and plaintext stay in this worker and the page that
// asked; nothing here talks to the network.
import * as envelope from "./envelope.js";

const OPS = {
  keyPair: () => envelope.keyPair(),
  seal: (publicKey, data) => envelope.seal(publicKey, data),
  openSealed: (pair, sealed) => envelope.openSealed(pair, sealed),
  wrap: (key, data) => envelope.wrap(key, data),
  unwrap: (key, wrapped) => envelope.unwrap(key, wrapped),
  derive: (password, salt, ops, memory) => envelope.derive(password, salt, ops, memory),
  codeKeys: (code) => envelope.codeKeys(code),
  loginSecret: (username, password) => envelope.loginSecret(username, password),
  certified: (signingKey, personId, publicKey, signature, messageKey) =>
    envelope.certified(signingKey, personId, publicKey, signature, messageKey),
  messageKey: (privateKey) => envelope.messageKey(privateKey),
  signMessage: (privateKey, caseId, text) => envelope.signMessage(privateKey, caseId, text),
  signedMessage: (key, caseId, opened) => envelope.signedMessage(key, caseId, opened),
};

self.addEventListener("message", async (event) => {
  const { id, op, args } = event.data;
  try {
    await envelope.ready();
    if (!Object.hasOwn(OPS, op)) throw new Error(`no operation ${op}`);
    self.postMessage({ id, value: OPS[op](...args) });
  } catch (error) {
    self.postMessage({ id, error: `${error.name}: ${error.message}` });
  }
});
