/** SHA-256, the one digest the Worker uses: to compare keys, name Durable Objects and identify events. */
const encoder = new TextEncoder();

export function sha256(data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data);
}

/** Lowercase hex of the SHA-256 of `data`. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await sha256(data));
}

// Every request's caller key is named in hex: one table lookup per byte, no array of strings.
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export function toHex(bytes: ArrayBuffer): string {
  let hex = "";
  for (const byte of new Uint8Array(bytes)) hex += HEX[byte];
  return hex;
}
