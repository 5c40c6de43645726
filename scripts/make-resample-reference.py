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
