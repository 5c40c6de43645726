import type { SlideReport, SlideWarning, TileFailure, TileResult } from './types.js';

export interface SlideStartEvent {
  readonly slide: string;
  readonly format: string;
  /** tiles that will be processed (tissue tiles) */
  readonly total: number;
  readonly gridTiles: number;
  readonly backgroundSkipped: number;
}

export interface ProgressEvent {
  readonly slide: string;
  readonly done: number;
  readonly failed: number;
  readonly total: number;
  readonly elapsedMs: number;
  /** estimated time to finish, null until it can be estimated */
  readonly etaMs: number | null;
  readonly tilesPerSecond: number;
}

/** Every event the pipeline emits (eventemitter3 typed map). The library never prints. */
export interface PipelineEvents {
  'slide:start': (event: SlideStartEvent) => void;
  'tile:done': (tile: TileResult) => void;
  'tile:error': (failure: TileFailure) => void;
  'slide:progress': (event: ProgressEvent) => void;
  'slide:done': (report: SlideReport) => void;
  warning: (warning: SlideWarning & { readonly slide: string }) => void;
}
