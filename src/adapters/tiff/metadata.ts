/**
 * Vendor detection and metadata of TIFF-family slides: Aperio ImageDescription fields, OME-XML
 * physical sizes, TIFF resolution tags, and OpenSlide-style property names.
 */
import type { Mpp } from '../../core/types.js';
import { Tag, num, str, type Ifd } from './ifd.js';

/** A number formatted as OpenSlide does (g_ascii_dtostr: shortest of %.17g). */
export function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  let s = v.toPrecision(17);
  if (s.includes('e')) {
    const [m, e] = s.split('e') as [string, string];
    const mm = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const exp = Number(e);
    return `${mm}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** Aperio ImageDescription: "header|Key = value|Key = value" -> { Key: value }; undefined if not Aperio. */
export function parseAperioDescription(desc: string | undefined): Record<string, string> | undefined {
  if (!desc || !desc.startsWith('Aperio')) return undefined;
  const out: Record<string, string> = {};
  const parts = desc.split('|');
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key) out[key] = value;
  }
  return out;
}

const OME_UNIT_TO_UM: Record<string, number> = { 'µm': 1, 'um': 1, '\u03bcm': 1, 'nm': 1e-3, 'mm': 1e3, 'cm': 1e4, 'm': 1e6, 'Å': 1e-4, 'pm': 1e-6 };

/** PhysicalSizeX/Y of the first OME Pixels element, in microns; undefined when absent. */
export function parseOmePhysicalSize(xml: string): { mpp: Mpp | undefined; note: string } {
  const m = /<(?:\w+:)?Pixels\b([^>]*)>/.exec(xml);
  if (!m) return { mpp: undefined, note: 'OME-XML without a Pixels element' };
  const attrs = m[1] ?? '';
  const attr = (name: string): string | undefined => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`).exec(attrs)?.[1];
  const px = attr('PhysicalSizeX');
  const py = attr('PhysicalSizeY');
  if (px === undefined || py === undefined) return { mpp: undefined, note: 'OME-XML without PhysicalSizeX/Y' };
  const ux = OME_UNIT_TO_UM[attr('PhysicalSizeXUnit') ?? 'µm'];
  const uy = OME_UNIT_TO_UM[attr('PhysicalSizeYUnit') ?? 'µm'];
  const x = Number(px) * (ux ?? NaN);
  const y = Number(py) * (uy ?? NaN);
  if (!(x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y))) return { mpp: undefined, note: `OME-XML PhysicalSize ${px}/${py} with units not understood` };
  return { mpp: { x, y }, note: 'OME-XML PhysicalSizeX/Y' };
}

/** Microns per pixel from XResolution/YResolution and ResolutionUnit (2 inch, 3 cm). */
export function mppFromResolution(ifd: Ifd): { mpp: Mpp | undefined; note: string } {
  const xr = num(ifd, Tag.XResolution);
  const yr = num(ifd, Tag.YResolution);
  const unit = num(ifd, Tag.ResolutionUnit, 2);
  if (!(xr && yr && xr > 0 && yr > 0 && Number.isFinite(xr) && Number.isFinite(yr))) return { mpp: undefined, note: 'unknown (no TIFF resolution tags)' };
  if (unit === 3) return { mpp: { x: 1e4 / xr, y: 1e4 / yr }, note: 'tiff XResolution (cm)' };
  if (unit === 2) return { mpp: { x: 25400 / xr, y: 25400 / yr }, note: 'tiff XResolution (inch)' };
  return { mpp: undefined, note: 'unknown (TIFF ResolutionUnit none)' };
}

const TIFF_STRING_PROPS: [number, string][] = [
  [Tag.ImageDescription, 'ImageDescription'],
  [Tag.Make, 'Make'],
  [Tag.Model, 'Model'],
  [Tag.Software, 'Software'],
  [Tag.DateTime, 'DateTime'],
  [Tag.Artist, 'Artist'],
  [Tag.HostComputer, 'HostComputer'],
  [Tag.Copyright, 'Copyright'],
  [Tag.DocumentName, 'DocumentName'],
];

/** OpenSlide's tiff.* properties of one directory. */
export function tiffProperties(ifd: Ifd): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, name] of TIFF_STRING_PROPS) {
    const v = str(ifd, tag);
    if (v !== undefined) out[`tiff.${name}`] = v;
  }
  const xr = num(ifd, Tag.XResolution);
  const yr = num(ifd, Tag.YResolution);
  if (xr !== undefined) out['tiff.XResolution'] = formatDouble(xr);
  if (yr !== undefined) out['tiff.YResolution'] = formatDouble(yr);
  const unit = num(ifd, Tag.ResolutionUnit);
  if (unit !== undefined) out['tiff.ResolutionUnit'] = unit === 1 ? 'none' : unit === 2 ? 'inch' : unit === 3 ? 'centimeter' : 'unknown';
  return out;
}
