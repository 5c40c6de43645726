export { createBlurmmServer, type BlurmmServer, type BlurmmServerOptions, type ServerHandlers, type EstimateTile } from './server.js';
export { createRoots, OutsideRootError, type Roots } from './roots.js';
export { analyzeRequestSchema, estimateRequestSchema, infoRequestSchema } from './schemas.js';
