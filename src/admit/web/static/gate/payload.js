/* A ticket's QR payload in the browser, as ticketing/qr_payload.py defines it: "AD1:" +
   Base45(body + Ed25519 signature); the body is version, kid, kind, code, session id
   (varint), seat, issued_at, and in version 2 (a reprinted ticket) a reprint byte. Verified with WebCrypto Ed25519; ID numbers compared by their tail. */
"use strict";

const PREFIX = "AD1:";
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* ---- the QR payload ---------------------------------------------------------------------- */

class Forged extends Error {
  constructor(reason) { super(reason); this.reason = reason; }
}

function b45decode(text) {
  if (text.length % 3 === 1) throw new Forged("malformed");
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const digits = [...text.slice(i, i + 3)].map((c) => B45.indexOf(c));
    if (digits.some((d) => d < 0)) throw new Forged("malformed");
    if (digits.length === 3) {
      const value = digits[0] + digits[1] * 45 + digits[2] * 2025;
      if (value > 0xffff) throw new Forged("malformed");
      out.push(value >> 8, value & 0xff);
    } else {
      const value = digits[0] + digits[1] * 45;
      if (value > 0xff) throw new Forged("malformed");
      out.push(value);
    }
  }
  return new Uint8Array(out);
}

const isToken = (s, max) => s.length >= 1 && s.length <= max && [...s].every((c) => c >= "!" && c <= "~");

function parse(text) {
  if (!text.startsWith(PREFIX) || text.length > 400) throw new Forged("malformed");
  const data = b45decode(text.slice(PREFIX.length));
  if (data.length <= 64) throw new Forged("malformed");
  const body = data.slice(0, data.length - 64);
  const signature = data.slice(data.length - 64);
  let pos = 0;
  const take = (n) => {
    if (pos + n > body.length) throw new Forged("malformed");
    const chunk = body.slice(pos, pos + n);
    pos += n;
    return chunk;
  };
  const latin = (bytes) => String.fromCharCode(...bytes);
  const version = take(1)[0];
  if (version !== 1 && version !== 2) throw new Forged("malformed");
  const kid = latin(take(take(1)[0]));
  const kind = latin(take(1));
  const code = latin(take(take(1)[0]));
  if (!isToken(kid, 16) || !isToken(code, 24) || !/^[A-Za-z]$/.test(kind)) throw new Forged("malformed");
  let session = 0n;
  for (let i = 0; ; i++) {
    if (i >= 10) throw new Forged("malformed");
    const byte = take(1)[0];
    session |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (!(byte & 0x80)) {
      if ((byte === 0 && i > 0) || session >> 64n) throw new Forged("malformed");
      break;
    }
  }
  let seat;
  try {
    seat = new TextDecoder("utf-8", { fatal: true }).decode(take(take(1)[0]));
  } catch (e) {
    throw new Forged("malformed");
  }
  take(4);  // issued_at
  if (version === 2 && take(1)[0] === 0) throw new Forged("malformed");  // reprint 1..255
  if (pos !== body.length) throw new Forged("malformed");
  return { body, signature, kid, kind, code, session, seat };
}

const keyCache = new Map();

async function publicKey(kid, b64) {
  if (!keyCache.has(kid)) {
    const raw = Uint8Array.from(atob(b64.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    keyCache.set(kid, crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]));
  }
  return keyCache.get(kid);
}

async function verify(text, keys) {
  const claims = parse(text);
  if (!(claims.kid in keys)) throw new Forged("unknown_key");
  const key = await publicKey(claims.kid, keys[claims.kid]);
  const good = await crypto.subtle.verify({ name: "Ed25519" }, key, claims.signature, claims.body);
  if (!good) throw new Forged("bad_signature");
  return claims;
}

function idMatches(tail, typed) {
  // As validation.id_matches: the typed number (whole or its last characters) ends as the tail.
  const normal = typed.replace(/\s+/g, "").toUpperCase();
  return normal.length >= tail.length && normal.endsWith(tail);
}
