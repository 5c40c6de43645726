import { info } from '../../api.js';
import { EXIT, type CliCommand } from '../command.js';
import { ArgumentError } from '../../core/errors.js';

export const command: CliCommand = {
  name: 'info',
  summary: 'Describe a slide: format, level-0 size, levels (size, downsample, mpp), tile size',
  usage: 'blurmm info <source> [--json]\n  <source>  image file, WSI file (TIFF/SVS/OME-TIFF/DICOM), DICOM folder or DICOMweb series URL',
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new ArgumentError('blurmm info takes exactly one <source>');
    const i = await info(target, { signal: io.signal });
    if (values.json) {
      io.stdout.write(JSON.stringify(i, null, 2) + '\n');
      return EXIT.ok;
    }
    const mpp = i.mpp ? `${i.mpp.x.toPrecision(6)} x ${i.mpp.y.toPrecision(6)} um/px (${i.mppSource})` : `unknown (${i.mppSource})`;
    const lines = [
      `path:     ${i.path}`,
      `format:   ${i.format}`,
      `size:     ${i.width} x ${i.height} px (level 0)`,
      `mpp:      ${mpp}`,
      `tile:     ${i.tileWidth && i.tileHeight ? `${i.tileWidth} x ${i.tileHeight}` : 'untiled'}`,
      `levels:   ${i.levels.length}`,
      ...i.levels.map((l) => `  ${String(l.index).padStart(2)}  ${`${l.width} x ${l.height}`.padEnd(15)} downsample ${l.downsample.toFixed(6).padEnd(11)}${l.mpp ? ` mpp ${l.mpp.x.toPrecision(5)}` : ''}${l.tileWidth ? `  tile ${l.tileWidth}x${l.tileHeight}` : ''}`),
      ...(i.associatedImages.length ? [`associated: ${i.associatedImages.join(', ')}`] : []),
    ];
    io.stdout.write(lines.join('\n') + '\n');
    return EXIT.ok;
  },
};
