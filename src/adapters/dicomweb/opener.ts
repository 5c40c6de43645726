/**
 * The DICOMweb series opener: light to import; the client loads inside `open`.
 */
import type { OpenSourceOptions, SlideSource, SourceOpener } from '../../core/types.js';

const SERIES_URL = /^https?:\/\/.+\/studies\/[^/?#]+\/series\/[^/?#]+\/?$/i;

/** Claims `http(s)://.../studies/{study}/series/{series}` URLs. */
export const dicomwebOpener: SourceOpener = {
  name: 'dicomweb',
  canOpen(target: string): boolean {
    return SERIES_URL.test(target);
  },
  async open(target: string, options: OpenSourceOptions): Promise<SlideSource> {
    const { openDicomwebSeries } = await import('./open-dicomweb.js');
    return openDicomwebSeries(target, options);
  },
};
