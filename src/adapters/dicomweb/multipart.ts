/**
 * A small multipart/related parser (RFC 2387 / RFC 2046) for WADO-RS frame responses.
 */
import { NetworkError } from '../../core/errors.js';

export interface MultipartPart {
  /** header names lower-cased */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Parameters of a media type header, names lower-cased, quotes removed. */
export function mediaTypeParams(header: string): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = splitOutsideQuotes(header, ';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: type.trim().toLowerCase(), params };
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Splits a multipart body into parts. `contentType` is the response's Content-Type header, which
 * carries the boundary. `url` names the request in errors.
 */
export function parseMultipart(body: Uint8Array, contentType: string, url: string): MultipartPart[] {
  const { type, params } = mediaTypeParams(contentType);
  if (!type.startsWith('multipart/')) {
    throw new NetworkError(`${url} answered with Content-Type "${contentType}", expected multipart/related; the server does not speak WADO-RS here (check the URL).`, { path: url });
  }
  const boundary = params['boundary'];
  if (!boundary) throw new NetworkError(`${url} answered multipart without a boundary parameter ("${contentType}").`, { path: url });
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delim = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = buf.indexOf(delim);
  if (at < 0) throw new NetworkError(`${url}: the multipart body has no boundary "${boundary}"; the response is damaged or truncated.`, { path: url });
  for (;;) {
    let p = at + delim.length;
    if (buf[p] === 0x2d && buf[p + 1] === 0x2d) break; // closing delimiter
    // skip transport padding and the CRLF after the delimiter
    while (p < buf.length && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
    if (buf[p] === 0x0d && buf[p + 1] === 0x0a) p += 2;
    const headEnd = buf.indexOf(CRLF2, p);
    if (headEnd < 0) throw new NetworkError(`${url}: a multipart part has no header end; the response is truncated.`, { path: url });
    const headers: Record<string, string> = {};
    for (const line of buf.subarray(p, headEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = headEnd + 4;
    const next = buf.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), bodyStart);
    if (next < 0) throw new NetworkError(`${url}: a multipart part is not closed by the boundary; the response is truncated.`, { path: url });
    parts.push({ headers, body: new Uint8Array(buf.buffer, buf.byteOffset + bodyStart, next - bodyStart) });
    at = next + 2;
  }
  return parts;
}
