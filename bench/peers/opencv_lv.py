"""OpenCV peer for bench/lv.bench.ts: variance of the Laplacian on already-decoded tiles.

Run by /usr/bin/python3 (Debian's OpenCV 4.6) with cv2.setNumThreads(1). Protocol on
stdin/stdout, one line each:
  "<tile_size> <reps>"  ->  "<wall seconds> <cpu seconds> <sum of lv over one pass> <tiles>"
The tiles are the full tiles of a regular grid from (0, 0) on the PNG given as argv[1],
cropped and made contiguous before timing.
"""
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)


def lv(tile):
    return cv2.Laplacian(cv2.cvtColor(tile, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()


def main():
    rgb = cv2.cvtColor(cv2.imread(sys.argv[1], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    cache = {}
    print("ready", cv2.__version__, flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        size, reps = int(parts[0]), int(parts[1])
        if size not in cache:
            cache[size] = [
                np.ascontiguousarray(rgb[y:y + size, x:x + size])
                for y in range(0, h - size + 1, size)
                for x in range(0, w - size + 1, size)
            ]
        tiles = cache[size]
        check = sum(lv(t) for t in tiles)
        t0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(reps):
            for t in tiles:
                lv(t)
        cpu = time.process_time() - c0
        dt = time.perf_counter() - t0
        print(f"{dt!r} {cpu!r} {check!r} {len(tiles)}", flush=True)


if __name__ == "__main__":
    main()
