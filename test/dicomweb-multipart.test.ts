/** The multipart/related parser on hand-built bodies (as RFC 2046 allows them). */
import { describe, expect, it } from 'vitest';
import { mediaTypeParams, parseMultipart } from '../src/adapters/dicomweb/multipart.js';
import { parseSeriesUrl } from '../src/adapters/dicomweb/open-dicomweb.js';
import { isBlurmmError } from '../src/core/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('multipart/related parser', () => {
  it('splits parts with a quoted boundary, a preamble, part headers and binary bodies containing CRLF', () => {
    const bin = new Uint8Array([0xff, 0xd8, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff, 0xd9]);
    const body = new Uint8Array([
      ...enc('preamble\r\n--b0;x\r\nContent-Type: image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50\r\n\r\n'),
      ...bin,
      ...enc('\r\n--b0;x\r\ncontent-type: application/octet-stream\r\n\r\nabc\r\n--b0;x--\r\n'),
    ]);
    const parts = parseMultipart(body, 'multipart/related; type="application/octet-stream"; boundary="b0;x"', 'u');
    expect(parts.length).toBe(2);
    expect(Array.from(parts[0]!.body)).toEqual(Array.from(bin));
    expect(parts[0]!.headers['content-type']).toBe('image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50');
    expect(new TextDecoder().decode(parts[1]!.body)).toBe('abc');
  });

  it('reads media type parameters, lower-casing names and unquoting values', () => {
    expect(mediaTypeParams('Multipart/Related; Type="image/jpeg; transfer-syntax=1.2"; boundary=xyz')).toEqual({
      type: 'multipart/related',
      params: { type: 'image/jpeg; transfer-syntax=1.2', boundary: 'xyz' },
    });
  });

  it('rejects a non-multipart answer, a missing boundary and a truncated body with E_NETWORK naming the URL', () => {
    const cases: [Uint8Array, string, RegExp][] = [
      [enc('<html/>'), 'text/html', /http:\/\/h\/f answered with Content-Type "text\/html"/],
      [enc('--a\r\n\r\nx'), 'multipart/related', /without a boundary/],
      [enc('--a\r\nContent-Type: x\r\n\r\nxyz'), 'multipart/related; boundary=a', /not closed by the boundary/],
    ];
    for (const [body, type, message] of cases) {
      let err: unknown;
      try {
        parseMultipart(body, type, 'http://h/f');
      } catch (e) {
        err = e;
      }
      expect(isBlurmmError(err, 'E_NETWORK')).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('parses series URLs and refuses others', () => {
    expect(parseSeriesUrl('https://h:8/dicom-web/studies/1.2/series/3.4/')).toEqual({ root: 'https://h:8/dicom-web', study: '1.2', series: '3.4' });
    expect(parseSeriesUrl('https://h/dicom-web/studies/1.2')).toBeUndefined();
    expect(parseSeriesUrl('https://h/dicom-web/studies/1.2/series/3.4/instances/5')).toBeUndefined();
  });
});
