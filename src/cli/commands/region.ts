import { open } from '../../api.js';
import { ArgumentError, OutputError } from '../../core/errors.js';
import { loadSharp } from '../../adapters/codecs/sharp.js';
import { num, str } from '../args.js';
import { EXIT, type CliCommand } from '../command.js';
import { commitOutput, discardOutput, prepareOutput } from '../../adapters/shared/atomic-output.js';

export const command: CliCommand = {
  name: 'region',
  summary: 'Read one region of a slide at a level and write it as PNG (OpenSlide read_region semantics)',
  usage: [
    'blurmm region <source> --level L --x X --y Y --width W --height H --out file.png [--alpha]',
    '  <source>     slide file (TIFF/SVS/OME-TIFF/DICOM/PNG/JPEG), DICOM folder or DICOMweb series URL',
    '  --level L    pyramid level (default 0; `blurmm info` lists them)',
    '  --x, --y     top-left corner in LEVEL-0 pixels (default 0; negative as --x=-100)',
    '  --width, --height   size in pixels of level L',
    '  --out        PNG file to write',
    '  --alpha      RGBA output, outside the image transparent (default RGB, outside white)',
  ].join('\n'),
  options: {
    level: { type: 'string' },
    x: { type: 'string' },
    y: { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
    out: { type: 'string', short: 'o' },
    alpha: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new ArgumentError('blurmm region takes exactly one <source>');
    const level = num(values, 'level', { int: true, min: 0 }) ?? 0;
    const x = num(values, 'x', { int: true }) ?? 0;
    const y = num(values, 'y', { int: true }) ?? 0;
    const width = num(values, 'width', { int: true, min: 1 });
    const height = num(values, 'height', { int: true, min: 1 });
    const out = str(values, 'out');
    if (width === undefined || height === undefined) throw new ArgumentError('blurmm region needs --width and --height (pixels of the chosen level)');
    if (!out) throw new ArgumentError('blurmm region needs --out file.png');
    const source = await open(target, { signal: io.signal });
    try {
      const img = await source.readRegion({ level, x, y, width, height, channels: values.alpha ? 4 : 3, signal: io.signal });
      const sharp = await loadSharp();
      const pending = await prepareOutput(out, true);
      try {
        await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).png().toFile(pending.tmp);
      } catch (cause) {
        await discardOutput(pending);
        throw new OutputError(`Could not write ${out}: ${(cause as Error).message}. Check that its folder exists and is writable.`, { path: out, cause });
      }
      await commitOutput(pending);
      const ds = source.levels[level]?.downsample ?? 1;
      io.stdout.write(`wrote ${out}: ${img.width} x ${img.height} px of level ${level} (downsample ${ds.toPrecision(6)}) at level-0 (${x}, ${y}) of ${source.path}\n`);
      return EXIT.ok;
    } finally {
      await source.close();
    }
  },
};
