#!/usr/bin/python3
"""Makes the small TIFF fixtures of test/tiff-*.test.ts in test/fixtures/tiff/.

Run from the repo root with Debian's Python: /usr/bin/python3 scripts/make-tiff-fixtures.py
Needs python3-numpy, python3-tifffile, python3-opencv and libvips-tools (`vips`).
Everything is synthetic (no shared data is copied). Deterministic: fixed seed.
"""
import os, struct, subprocess, shutil
import numpy as np
import tifffile
import cv2

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'tiff')
os.makedirs(OUT, exist_ok=True)
W, H = 150, 100


def path(name):
    return os.path.join(OUT, name)


def vips(*args):
    subprocess.run(['vips', *args], check=True)


# ---- ground truth: smooth colour gradients, a sinusoid and a little noise (compresses well)
rng = np.random.default_rng(20240607)
yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
img = np.stack([
    40 + 1.2 * xx + 20 * np.sin(yy / 7.0),
    200 - 1.5 * yy + 15 * np.cos(xx / 5.0),
    90 + 0.6 * (xx + yy),
], axis=-1)
img += rng.normal(0, 3, img.shape)
img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
cv2.imwrite(path('truth.png'), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
grey = img[..., 1].copy()
cv2.imwrite(path('truth-grey.png'), grey)

# ---- valid variants (lossless: each equals truth.png / truth-grey.png)
vips('tiffsave', path('truth.png'), path('lzw-tile32-predictor.tif'), '--compression', 'lzw', '--predictor', 'horizontal',
     '--tile', '--tile-width', '32', '--tile-height', '32')
vips('tiffsave', path('truth.png'), path('lzw-strip.tif'), '--compression', 'lzw', '--predictor', 'none')
tifffile.imwrite(path('deflate-strip16.tif'), img, rowsperstrip=16, compression='zlib', photometric='rgb')
tifffile.imwrite(path('none-strip16.tif'), img, rowsperstrip=16, photometric='rgb')
tifffile.imwrite(path('none-tile32-bigendian.tif'), img, byteorder='>', tile=(32, 32), photometric='rgb')
tifffile.imwrite(path('deflate-tile48-bigtiff-grey.tif'), grey, bigtiff=True, tile=(48, 48), photometric='minisblack', compression='zlib')
# OME-TIFF whose levels are separate pages of the main chain (older OME pyramids), nm units,
# plus a 60 x 60 page that fits no level (kept out of the pyramid)
ome_xml = ('<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">'
           '<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" SizeX="150" SizeY="100" SizeC="3" '
           'SizeZ="1" SizeT="1" PhysicalSizeX="500" PhysicalSizeXUnit="nm" PhysicalSizeY="500" PhysicalSizeYUnit="nm">'
           '<Channel ID="Channel:0:0" SamplesPerPixel="3"/><TiffData IFD="0" PlaneCount="1"/></Pixels></Image></OME>')
with tifffile.TiffWriter(path('ome-separate-ifds.ome.tif')) as tw:
    tw.write(img, tile=(32, 32), photometric='rgb', description=ome_xml, metadata=None)
    tw.write(cv2.resize(img, (75, 50), interpolation=cv2.INTER_AREA), tile=(32, 32), photometric='rgb', subfiletype=1, metadata=None)
    tw.write(np.full((60, 60, 3), 200, np.uint8), tile=(32, 32), photometric='rgb', subfiletype=1, metadata=None)
    tw.write(cv2.resize(img, (37, 25), interpolation=cv2.INTER_AREA), tile=(32, 32), photometric='rgb', subfiletype=1, metadata=None)

# a JPEG pyramid (YCbCr 4:2:0, tables in JPEGTables), the base of the corrupt variants below
vips('tiffsave', path('truth.png'), path('jpeg-pyramid-tile32.tif'), '--compression', 'jpeg', '--Q', '80', '--tile',
     '--tile-width', '32', '--tile-height', '32', '--pyramid', '--xres', '4000', '--yres', '4000', '--resunit', 'cm')


def tag_value_offset(fname, tag_name, page=0):
    """file offset of a tag's value array, its count and the element size"""
    with tifffile.TiffFile(fname) as tf:
        t = tf.pages[page].tags[tag_name]
        return t.valueoffset, t.count, t.dtype_name if hasattr(t, 'dtype_name') else t.dtype, tf.byteorder, tf.is_bigtiff


def patch(src, dst, edits):
    data = bytearray(open(src, 'rb').read())
    for off, b in edits:
        data[off:off + len(b)] = b
    open(dst, 'wb').write(bytes(data))


def tile_table(fname, page=0):
    with tifffile.TiffFile(fname) as tf:
        p = tf.pages[page]
        return list(p.dataoffsets), list(p.databytecounts), p.tags['TileOffsets'].valueoffset, p.tags['TileByteCounts'].valueoffset, \
            p.tags['TileByteCounts'].dtype, p.tags['TileOffsets'].dtype


# RGB JPEG tiles: vips writes Q >= 90 as RGB (component ids 'R','G','B', 4:4:4, no colour transform).
# The "-ids123" copy renames the components 1,2,3 (in SOF and SOS) as Aperio RGB files do: with
# PhotometricInterpretation RGB they must still be decoded without YCbCr conversion (libtiff does).
vips('tiffsave', path('truth.png'), path('jpeg-rgb-tile32.tif'), '--compression', 'jpeg', '--Q', '92', '--tile',
     '--tile-width', '32', '--tile-height', '32')


def renumber_components(stream):
    b = bytearray(stream)
    i = 2
    while i + 4 <= len(b) and b[i] == 0xFF:
        m = b[i + 1]
        n = (b[i + 2] << 8) | b[i + 3]
        if m == 0xC0 or m == 0xC1 or m == 0xC2:
            for k in range(b[i + 9]):
                b[i + 10 + 3 * k] = k + 1
        elif m == 0xDA:
            for k in range(b[i + 4]):
                b[i + 5 + 2 * k] = k + 1
            break
        i += 2 + n
    return bytes(b)


with tifffile.TiffFile(path('jpeg-rgb-tile32.tif')) as tf:
    p = tf.pages[0]
    assert p.photometric == 2, 'vips wrote YCbCr; raise --Q'
    offs, counts = list(p.dataoffsets), list(p.databytecounts)
data = open(path('jpeg-rgb-tile32.tif'), 'rb').read()
edits = []
for o, n in zip(offs, counts):
    t = data[o:o + n]
    assert t.find(bytes([0xFF, 0xC0, 0x00, 0x11, 0x08])) >= 0
    edits.append((o, renumber_components(t)))
patch(path('jpeg-rgb-tile32.tif'), path('jpeg-rgb-tile32-ids123.tif'), edits)

LZW = path('lzw-tile32-predictor.tif')
JPG = path('jpeg-pyramid-tile32.tif')
size = os.path.getsize(LZW)

# tile (1, 1) of page 0 claims more bytes than the file has
offs, counts, offs_at, counts_at, counts_type, offs_type = tile_table(LZW)
tiles_across = (W + 31) // 32
i = 1 * tiles_across + 1
csize = 4 if counts_type in (4, 'I') else 2
fmt = '<I' if csize == 4 else '<H'
patch(LZW, path('bad-bytecount.tif'), [(counts_at + i * csize, struct.pack(fmt, min(size * 4, 65535 if csize == 2 else size * 4)))])

# tile (0, 0) marked missing (offset and byte count 0), as sparse TIFFs do
osize = 4 if offs_type in (4, 'I') else 8
patch(LZW, path('missing-tile.tif'), [(counts_at, struct.pack(fmt, 0)), (offs_at, struct.pack('<I' if osize == 4 else '<Q', 0))])

# tile (1, 0) of the JPEG base level overwritten with garbage (same length): only that tile fails
offs, counts, *_ = tile_table(JPG)
g = rng.integers(0, 256, counts[1], dtype=np.uint8).tobytes()
patch(JPG, path('corrupt-tile.tif'), [(offs[1], g)])

# compression tag rewritten to 34712 (JPEG 2000), which blurmm does not decode
with tifffile.TiffFile(LZW) as tf:
    t = tf.pages[0].tags['Compression']
    entry = t.offset  # the 12-byte IFD entry: tag, type, count, value
patch(LZW, path('unsupported-compression.tif'), [(entry + 8, struct.pack('<H', 34712))])

# truncated: the whole structure present but the file cut in the middle of the tile data
with open(JPG, 'rb') as f:
    data = f.read()
with tifffile.TiffFile(JPG) as tf:
    first_ifd = tf.pages[0].offset
    offs0 = list(tf.pages[0].dataoffsets)
# keep the IFDs (vips writes page 0's IFD first) and cut into the tile data
cut = max(first_ifd + 2000, min(offs0) + 600)
open(path('truncated.tif'), 'wb').write(data[:cut])
open(path('truncated-header.tif'), 'wb').write(data[:6])

# garbage after a valid TIFF magic
open(path('garbage.tif'), 'wb').write(b'II*\x00' + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())

# BigTIFF whose first IFD offset is 2^60 (over 2^53)
open(path('bigtiff-offset-2e60.tif'), 'wb').write(b'II+\x00' + struct.pack('<HHQ', 8, 0, 1 << 60) + bytes(64))

# IFD chain loop: page 0's next-IFD offset points at page 0
with tifffile.TiffFile(LZW) as tf:
    p0 = tf.pages[0].offset
raw = open(LZW, 'rb').read()
n = struct.unpack('<H', raw[p0:p0 + 2])[0]
patch(LZW, path('ifd-loop.tif'), [(p0 + 2 + 12 * n, struct.pack('<I', p0))])

for f in sorted(os.listdir(OUT)):
    print(f'{os.path.getsize(path(f)):>8}  {f}')
