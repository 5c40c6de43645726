#!/usr/bin/python3
"""Reference values for test/resample.test.ts: cv2.resize(INTER_AREA) on seeded random uint8 images.

Images come from mulberry32(seed) (same generator as the test), one byte per draw (top 8 bits).
Downscales are stored as SHA-256 of the output (the TS port must be bit-exact); upscales as the
full output in base64 (compared within one grey level). Run with Debian's Python:
    /usr/bin/python3 scripts/make-resample-reference.py > test/fixtures/resample-cv2.json
"""
import base64, hashlib, json, sys
import cv2, numpy as np

cv2.setNumThreads(1)

def mulberry32(seed):
    a = seed & 0xFFFFFFFF
    while True:
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        yield ((t ^ (t >> 14)) & 0xFFFFFFFF)

def image(seed, w, h, cn, smooth):
    g = mulberry32(seed)
    a = np.array([next(g) >> 24 for _ in range(w * h * cn)], dtype=np.uint8).reshape(h, w, cn)
    if smooth:  # half the cases: a gradient plus small noise, so ties and mid values occur
        yy, xx = np.mgrid[0:h, 0:w]
        base = ((xx * 255) // max(w - 1, 1) + (yy * 128) // max(h - 1, 1)) % 256
        a = ((base[:, :, None].astype(np.int32) + (a.astype(np.int32) % 5)) % 256).astype(np.uint8)
    return a

cases = [
    # (seed, w, h, cn, smooth, outW, outH)
    (1, 64, 48, 3, False, 32, 24),      # factor 2 (SIMD path, +2 >> 2)
    (2, 96, 60, 3, True, 32, 20),       # factor 3
    (3, 128, 96, 3, False, 32, 24),     # factor 4 (round half to even)
    (4, 4100 // 10, 3090 // 10, 3, True, 128, 96),  # 410x309 -> 128x96 fractional
    (5, 1000, 700, 3, False, 299, 211), # fractional, odd
    (6, 517, 389, 3, True, 512, 386),   # tiny shrink
    (7, 600, 600, 3, False, 512, 512),  # 598-like resample
    (8, 64, 48, 4, False, 21, 16),      # rgba fractional
    (9, 90, 90, 3, True, 30, 45),       # x factor 3, y fractional
    (10, 257, 193, 3, False, 1, 1),     # to a single pixel
    (11, 1025, 772, 3, True, 1024, 771),
    # integer factors (resizeAreaFast) at awkward widths and channel counts
    (30, 62, 46, 3, False, 31, 23),     # x2, width % 4 == 3, source rows not on 4-byte boundaries
    (31, 68, 40, 3, True, 34, 20),      # x2, output rows not on 4-byte boundaries
    (32, 66, 42, 4, False, 33, 21),     # x2 rgba
    (33, 100, 75, 3, False, 20, 15),    # factor 5
    (34, 90, 60, 3, True, 45, 20),      # 2 in x, 3 in y (cvRound, not +2 >> 2)
    (35, 96, 64, 4, True, 32, 16),      # 3 in x, 4 in y, rgba
    (36, 256, 192, 3, False, 32, 24),   # factor 8
    (37, 102, 78, 3, True, 17, 13),     # factor 6, smooth (ties)
    # fractional factors: 2, 3-4 and 4-5 taps per output column
    (38, 717, 360, 3, True, 512, 257),  # mpp 0.35 -> 0.49
    (39, 150, 100, 3, False, 60, 40),   # 2.5
    (40, 700, 140, 3, True, 200, 40),   # 3.5
    (41, 300, 90, 4, False, 97, 31),    # rgba, ~3.1
]
up_cases = [
    (20, 7, 5, 3, False, 13, 11),
    (21, 16, 12, 3, True, 40, 30),
    (22, 20, 20, 3, False, 30, 10),     # up in x, down in y
]
out = {"generator": "scripts/make-resample-reference.py", "opencv": cv2.__version__, "prng": "mulberry32, byte = u32 >> 24",
       "down": [], "up": []}
for seed, w, h, cn, smooth, ow, oh in cases:
    r = cv2.resize(image(seed, w, h, cn, smooth), (ow, oh), interpolation=cv2.INTER_AREA)
    out["down"].append({"seed": seed, "width": w, "height": h, "channels": cn, "smooth": smooth,
                        "outWidth": ow, "outHeight": oh, "sha256": hashlib.sha256(r.tobytes()).hexdigest()})
for seed, w, h, cn, smooth, ow, oh in up_cases:
    r = cv2.resize(image(seed, w, h, cn, smooth), (ow, oh), interpolation=cv2.INTER_AREA)
    out["up"].append({"seed": seed, "width": w, "height": h, "channels": cn, "smooth": smooth,
                      "outWidth": ow, "outHeight": oh, "base64": base64.b64encode(r.tobytes()).decode()})
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
