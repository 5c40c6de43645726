"""Peer for bench/pipeline.bench.ts: the blur pass as HistoQC-style Python does it.
OpenSlide read_region per tile -> RGB -> cv2.cvtColor -> cv2.Laplacian(CV_64F).var().
Prints one JSON line: tiles, wall seconds, CPU seconds, sum of LV (to cross-check)."""
import json, sys, time
import cv2, numpy as np, openslide

cv2.setNumThreads(1)
path, tile = sys.argv[1], int(sys.argv[2])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 1
s = openslide.OpenSlide(path)
w, h = s.dimensions
best = None
for _ in range(rounds):
    t0, c0 = time.perf_counter(), time.process_time()
    n, total = 0, 0.0
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            tw, th = min(tile, w - x), min(tile, h - y)
            rgb = np.asarray(s.read_region((x, y), 0, (tw, th)).convert('RGB'))
            total += cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()
            n += 1
    r = {'tiles': n, 'seconds': time.perf_counter() - t0, 'cpu': time.process_time() - c0, 'lvSum': total}
    if best is None or r['seconds'] < best['seconds']:
        best = r
print(json.dumps(best))
