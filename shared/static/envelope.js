// The envelope of shared/envelope.py, in the browser, with libsodium: a version byte, then
// 0x01 crypto_box_seal to an X25519 public key, or 0x02 a 24-byte nonce and crypto_secretbox
// under a 32-byte key; the plaintext padded to 256-byte blocks first (sodium_pad). The same
// bytes both ways (tests/browser/test_envelope.py). Run in a worker (crypto-worker.js), so
// that Argon2id's 64 MiB and the opening of many cases never hold up the page.
import sodium from "./vendor/libsodium-wrappers.mjs";

export const SEALED = 0x01;
export const WRAPPED = 0x02;
export const BLOCK = 256;
// Argon2id: three passes over 64 MiB, as the server's shared/envelope.py.
export const OPS = 3;
export const MEMORY = 64 * 1024 * 1024;

export class EnvelopeError extends Error {}

export const ready = () => sodium.ready;

export function keyPair() {
  const pair = sodium.crypto_box_keypair();
  return { public: pair.publicKey, private: pair.privateKey };
}

function withVersion(version, ...parts) {
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  out[0] = version;
  let at = 1;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

function body(envelope, version) {
  if (!envelope || !envelope.length) throw new EnvelopeError("an empty envelope");
  if (envelope[0] !== version) throw new EnvelopeError(`envelope version ${envelope[0]}, not ${version}`);
  return envelope.subarray(1);
}

function opened(open) {
  try {
    return sodium.unpad(open(), BLOCK);
  } catch {
    throw new EnvelopeError("this key does not open the envelope, or it was altered");
  }
}

export function seal(publicKey, data) {
  return withVersion(SEALED, sodium.crypto_box_seal(sodium.pad(data, BLOCK), publicKey));
}

export function openSealed(pair, envelope) {
  const box = body(envelope, SEALED);
  return opened(() => sodium.crypto_box_seal_open(box, pair.public, pair.private));
}

export function wrap(key, data) {
  const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  return withVersion(WRAPPED, nonce, sodium.crypto_secretbox_easy(sodium.pad(data, BLOCK), nonce, key));
}

export function unwrap(key, envelope) {
  const rest = body(envelope, WRAPPED);
  const n = sodium.crypto_secretbox_NONCEBYTES;
  return opened(() => sodium.crypto_secretbox_open_easy(rest.subarray(n), rest.subarray(0, n), key));
}

export function derive(password, salt, ops = OPS, memory = MEMORY) {
  return sodium.crypto_pwhash(32, password, salt, ops, memory, sodium.crypto_pwhash_ALG_ARGON2ID13);
}

// The case code's keys, as shared/envelope.py's code_keys: the id a case is found by, the
// secret that proves the code, and the reporter's key pair (from the last 32 bytes).
export const CODE_SALT = "vertrouwd.code.1";

export function codeKeys(code) {
  const out = sodium.crypto_pwhash(96, code, sodium.from_string(CODE_SALT), OPS, MEMORY, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const pair = sodium.crypto_box_seed_keypair(out.subarray(64));
  const secret = out.slice(32, 64);
  return {
    lookup: out.slice(0, 32), secret, check: sodium.crypto_hash_sha256(secret),
    pair: { public: pair.publicKey, private: pair.privateKey },
  };
}

const joined = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};

// The firm's certificate on a person's keys (shared/envelope.py's certified): true or false.
export function certified(signingKey, personId, publicKey, signature, messageKey = null) {
  const message = joined(sodium.from_string(`vertrouwd.key.1|${personId}|`), publicKey, messageKey || new Uint8Array());
  try { return sodium.crypto_sign_verify_detached(signature, message, signingKey); } catch { return false; }
}

// What a confidant writes to a reporter, signed with a key derived from their private key
// (shared/envelope.py's sign_message): the signature, then the text, to be sealed.
const MESSAGE_KEY = "vertrouwd.msg.1";
const messagePair = (privateKey) =>
  sodium.crypto_sign_seed_keypair(sodium.crypto_generichash(32, privateKey, sodium.from_string(MESSAGE_KEY)));

export const messageKey = (privateKey) => messagePair(privateKey).publicKey;

const signedText = (caseId, text) => sodium.from_string(`vertrouwd.msg.1|${caseId}|${text}`);

export function signMessage(privateKey, caseId, text) {
  const signature = sodium.crypto_sign_detached(signedText(caseId, text), messagePair(privateKey).privateKey);
  return joined(signature, sodium.from_string(text));
}

// The text of a signed message as opened, or null if it is not signed by messageKey.
export function signedMessage(key, caseId, opened) {
  const text = sodium.to_string(opened.subarray(64));
  try {
    return sodium.crypto_sign_verify_detached(opened.subarray(0, 64), signedText(caseId, text), key) ? text : null;
  } catch { return null; }
}

// What the browser sends to log in instead of the password (shared/envelope.py's
// login_secret): Argon2id over it, salted by the user name; hex.
export function loginSecret(username, password) {
  const salt = sodium.crypto_generichash(16, sodium.from_string(`vertrouwd.login|${username.toLowerCase()}`));
  return sodium.to_hex(derive(password, salt));
}

export const utf8 = (text) => sodium.from_string(text);
export const text = (bytes) => sodium.to_string(bytes);
export const fromBase64 = (s) => sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
export const toBase64 = (b) => sodium.to_base64(b, sodium.base64_variants.ORIGINAL);
