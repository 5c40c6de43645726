export { createBlurmmServer, type BlurmmServer, type BlurmmServerOptions, type ServerHandlers } from './server.js';
export { createRoots, OutsideRootError, type Roots } from './roots.js';
export { analyzeRequestSchema, estimateRequestSchema, infoRequestSchema } from './schemas.js';
