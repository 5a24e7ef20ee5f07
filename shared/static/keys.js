// A person's keys (issue 26), made in their browser at the first log-in: an X25519 pair,
// whose private half leaves this browser only wrapped three ways: under a key derived from
// their password (Argon2id), under a recovery key shown once as a kit, and sealed to the
// firm's escrow key. What intake keeps is exactly PUT /v1/me/keys's body; the crypto runs
// in the worker (sealed.js), the randomness comes from crypto.getRandomValues.
import * as sealed from "./sealed.js";

const OPS = 3;
const MEMORY = 64 * 1024 * 1024;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford: no I, L, O, U

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const random = (n) => crypto.getRandomValues(new Uint8Array(n));

// The recovery key as people write it down: Crockford base32 in groups of four.
export function toKit(key) {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += ALPHABET[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g).join("-");
}

// Back from what was typed: case, spaces and dashes do not matter; O is 0, I and L are 1.
export function fromKit(kit) {
  const clean = kit.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of clean) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) throw new Error(`not in a recovery kit: ${char}`);
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  if (out.length !== 32) throw new Error("a recovery kit holds 52 characters");
  return new Uint8Array(out);
}

// The first log-in's keys: the body for PUT /v1/me/keys and the kit to show once.
export async function makeKeys(password, escrowPublicKey) {
  const pair = await sealed.keyPair();
  const salt = random(16);
  const recovery = random(32);
  const byPassword = await sealed.wrap(await sealed.derive(password, salt, OPS, MEMORY), pair.private);
  const body = {
    public_key: b64(pair.public),
    by_password: b64(byPassword),
    salt: b64(salt),
    ops: OPS,
    memory: MEMORY,
    by_recovery: b64(await sealed.wrap(recovery, pair.private)),
    to_escrow: b64(await sealed.seal(bytes(escrowPublicKey), pair.private)),
    message_key: b64(await sealed.messageKey(pair.private)),
  };
  return { body, kit: toKit(recovery), pair };
}

// The key pair from what intake keeps, with the password or, failing that, the kit.
export async function unlock(kept, password) {
  const key = await sealed.derive(password, bytes(kept.salt), kept.ops, kept.memory);
  return { public: bytes(kept.public_key), private: await sealed.unwrap(key, bytes(kept.by_password)) };
}

// The private key wrapped again under a (new) password: the body for PATCH /v1/me/keys.
export async function rewrap(pair, password) {
  const salt = random(16);
  const byPassword = await sealed.wrap(await sealed.derive(password, salt, OPS, MEMORY), pair.private);
  return { by_password: b64(byPassword), salt: b64(salt), ops: OPS, memory: MEMORY };
}

export async function recover(kept, kit) {
  return { public: bytes(kept.public_key), private: await sealed.unwrap(fromKit(kit), bytes(kept.by_recovery)) };
}

// A case code, made in the reporter's browser (never sent): 100 random bits in Crockford
// base32, five groups of four, as services/intake/domain/codes.py makes them.
export function newCode() {
  const raw = Array.from(random(20), (b) => ALPHABET[b & 31]).join("");
  return raw.match(/.{4}/g).join("-");
}

// What a code typed back is, canonically (as normalise() in codes.py); null if it is none.
export function normalise(typed) {
  const clean = typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1").replace(/U/g, "V");
  if (clean.length !== 20 || [...clean].some((c) => !ALPHABET.includes(c))) return null;
  return clean.match(/.{4}/g).join("-");
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// What intake gets of a code: the id the case is found by, the secret's hash (when the
// report is made) or the secret (when coming back), and the reporter's public key.
export async function codeKeys(code) {
  const keys = await sealed.codeKeys(code);
  return {
    pair: keys.pair,
    forReport: { lookup: hex(keys.lookup), check: hex(keys.check), public_key: b64(keys.pair.public) },
    forAccess: { code_lookup: hex(keys.lookup), code_secret: hex(keys.secret) },
  };
}

// Opening and sealing case content (base64 envelopes) with a key pair. A signed message
// opens to its text without the signature in front (openSigned checks it).
export async function openText(pair, envelope, signed = false) {
  const opened = await sealed.openSealed(pair, bytes(envelope));
  return new TextDecoder().decode(signed ? opened.subarray(64) : opened);
}

export async function sealText(publicKey, text) {
  return b64(await sealed.seal(bytes(publicKey), new TextEncoder().encode(text)));
}

export async function caseKey(mine, wrap, publicKey) {
  return { public: bytes(publicKey), private: await sealed.openSealed(mine, bytes(wrap)) };
}

// A colleague's key as intake gives it ({person_id, public_key, certificate}), checked
// here against the firm's signing key: only a certified key is sealed to.
export async function certifiedKey(signingKey, person) {
  if (!signingKey || !person.certificate) return false;
  const messageKey = person.message_key ? bytes(person.message_key) : null;
  return sealed.certified(bytes(signingKey), person.person_id, bytes(person.public_key),
    bytes(person.certificate), messageKey);
}

// A confidant's message, signed with their key and sealed to each public key (base64).
export async function sealSigned(mine, caseId, text, ...publicKeys) {
  const signed = await sealed.signMessage(mine.private, caseId, text);
  return Promise.all(publicKeys.map(async (key) => b64(await sealed.seal(bytes(key), signed))));
}

// A signed message opened: its text if the signature is the certified confidant's (whose
// key, {person_id, public_key, message_key, certificate}, the firm's signing key checks),
// else null.
export async function openSigned(pair, envelope, caseId, signingKey, confidant) {
  const opened = await sealed.openSealed(pair, bytes(envelope));
  if (!confidant || !confidant.message_key) return null;
  // A firm that certifies keys: only a certified key's signature counts.
  if (signingKey && !(await certifiedKey(signingKey, confidant))) return null;
  return sealed.signedMessage(bytes(confidant.message_key), caseId, opened);
}

// A case's key sealed on to a colleague (base64), from its key pair opened here.
export async function sealKey(publicKey, caseKeyPair) {
  return b64(await sealed.seal(bytes(publicKey), caseKeyPair.private));
}

// Every key a case had, newest first: the current one from my wrap, then back along the
// chain (each earlier key sealed to the one after it).
export async function caseKeys(mine, vault) {
  const keys = [await caseKey(mine, vault.wrap, vault.public_key)];
  for (const earlier of vault.previous || []) {
    const newer = keys[keys.length - 1];
    keys.push({ public: bytes(earlier.public_key), private: await sealed.openSealed(newer, bytes(earlier.by_next)) });
  }
  return keys;
}

// A text sealed to whichever of a case's keys it was sealed to.
export async function openWithAny(keys, envelope, signed = false) {
  for (const key of keys) {
    try { return await openText(key, envelope, signed); } catch { /* an earlier key, then */ }
  }
  throw new Error("none of the case's keys opens this");
}

// A case's key replaced (POST /v1/cases/{id}/key's body): a new pair, sealed to me and to
// escrow, and the old private key sealed to the new public key.
export async function rotation(mine, waiting, escrowPublicKey) {
  const old = await caseKey(mine, waiting.wrap, waiting.public_key);
  const next = await sealed.keyPair();
  return {
    from_key: waiting.public_key,
    public_key: b64(next.public),
    wrap: b64(await sealed.seal(mine.public, next.private)),
    escrow: b64(await sealed.seal(bytes(escrowPublicKey), next.private)),
    by_next: b64(await sealed.seal(next.public, old.private)),
  };
}

// What a log-in sends instead of the password (hex): the server never sees the password.
export const loginSecret = (username, password) => sealed.loginSecret(username.toLowerCase(), password);
