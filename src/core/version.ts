import pkg from '../../package.json' with { type: 'json' };

/** The blurmm package version. */
export const BLURMM_VERSION: string = (pkg as { version: string }).version;
