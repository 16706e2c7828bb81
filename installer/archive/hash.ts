// PostgreSQL's hash_bytes_extended (src/common/hashfn.c, Bob Jenkins' lookup3 as PostgreSQL uses it,
// little-endian word order), the function behind hashtextextended(text, seed). The archive content
// checksum hashes each canonical value with it, in the database and here, so both must agree bit for
// bit; test/ts/archive.test.ts checks this implementation against the server.

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Upper and lower 32 bits (unsigned) of hash_bytes_extended(bytes[off..off+len), seed), seed given as
 * two uint32 halves. `view`, a DataView over exactly `k`, reads the 12-byte blocks a word at a time
 * (faster for callers that hash many values of one buffer).
 */
export function hashBytesExtended(k: Uint8Array, len: number, seedHi: number, seedLo: number, out: Uint32Array, off = 0, view?: DataView): void {
  let a = (0x9e3779b9 + len + 3923095) | 0;
  let b = a, c = a;
  if (seedHi !== 0 || seedLo !== 0) {
    a = (a + seedHi) | 0;
    b = (b + seedLo) | 0;
    // mix(a, b, c)
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
  }
  let p = off;
  let n = len;
  while (n >= 12) {
    if (view) {
      a = (a + view.getInt32(p, true)) | 0;
      b = (b + view.getInt32(p + 4, true)) | 0;
      c = (c + view.getInt32(p + 8, true)) | 0;
    } else {
      a = (a + (k[p]! | (k[p + 1]! << 8) | (k[p + 2]! << 16) | (k[p + 3]! << 24))) | 0;
      b = (b + (k[p + 4]! | (k[p + 5]! << 8) | (k[p + 6]! << 16) | (k[p + 7]! << 24))) | 0;
      c = (c + (k[p + 8]! | (k[p + 9]! << 8) | (k[p + 10]! << 16) | (k[p + 11]! << 24))) | 0;
    }
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    p += 12;
    n -= 12;
  }
  // the last 11 bytes (the lowest byte of c stays reserved, as in lookup3)
  switch (n) {
    case 11: c = (c + (k[p + 10]! << 24)) | 0; // falls through
    case 10: c = (c + (k[p + 9]! << 16)) | 0; // falls through
    case 9: c = (c + (k[p + 8]! << 8)) | 0; // falls through
    case 8: b = (b + (k[p + 7]! << 24)) | 0; // falls through
    case 7: b = (b + (k[p + 6]! << 16)) | 0; // falls through
    case 6: b = (b + (k[p + 5]! << 8)) | 0; // falls through
    case 5: b = (b + k[p + 4]!) | 0; // falls through
    case 4: a = (a + (k[p + 3]! << 24)) | 0; // falls through
    case 3: a = (a + (k[p + 2]! << 16)) | 0; // falls through
    case 2: a = (a + (k[p + 1]! << 8)) | 0; // falls through
    case 1: a = (a + k[p]!) | 0;
  }
  // final(a, b, c)
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  out[0] = b >>> 0;
  out[1] = c >>> 0;
}
