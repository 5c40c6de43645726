#!/usr/bin/python3
"""Small DICOM fixtures for blurmm's DICOM reader tests (good variants and bad input).

Run with Debian's Python (python3-pydicom, python3-opencv, python3-numpy):

    /usr/bin/python3 scripts/make-dicom-fixtures.py

Writes test/fixtures/dicom/*.dcm. Every file is a tiny VL Whole Slide Microscopy image of a
40 x 20 px pattern, pixel (x, y) = ((5x) % 256, (7y) % 256, (3(x + y)) % 256), in 16 x 16 tiles
(3 x 2 frames, edge frames padded by edge replication), unless said otherwise:

- native-rgb.dcm: explicit VR little endian, uncompressed RGB (exact pixels)
- native-rgb-implicit.dcm: implicit VR little endian, uncompressed RGB
- jpeg-ybr-nobot.dcm: JPEG baseline (OpenCV, YCbCr 4:2:0 -> YBR_FULL_422), empty Basic Offset Table
- jpeg-ybr-eot.dcm: as above with an Extended Offset Table
- jpeg-ybr-2frag.dcm: as above with a BOT and each frame in 2 fragments
- positions-no-dimorg.dcm: native RGB, frames shuffled, per-frame PlanePositionSlide, no
  DimensionOrganizationType (as OrthancWSIDicomizer writes)
- frames-past-end.dcm: NumberOfFrames 6 but only 4 frames in the pixel data (no BOT)
- truncated-pixels.dcm: jpeg-ybr-nobot.dcm cut in the middle of its last frame
- truncated-header.dcm: native-rgb.dcm cut at byte 400 (inside the dataset)
- not-wsi.dcm: a Secondary Capture image (not WSI)
- unsupported-rle.dcm: RLE Lossless transfer syntax (1.2.840.10008.1.2.5) declared
"""
import os
import random
import sys

import cv2
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'dicom')
W, H, T = 40, 20, 16
NX, NY = -(-W // T), -(-H // T)
WSI = '1.2.840.10008.5.1.4.1.1.77.1.6'
STUDY = '2.25.1000'
SERIES = '2.25.2000'


def pattern():
    y, x = np.mgrid[0:H, 0:W]
    return np.stack([(5 * x) % 256, (7 * y) % 256, (3 * (x + y)) % 256], axis=-1).astype(np.uint8)


def tiles(img):
    padded = np.pad(img, ((0, NY * T - H), (0, NX * T - W), (0, 0)), mode='edge')
    return [padded[r * T:(r + 1) * T, c * T:(c + 1) * T] for r in range(NY) for c in range(NX)]


def jpeg(tile):
    ok, buf = cv2.imencode('.jpg', cv2.cvtColor(tile, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    data = buf.tobytes()
    # even length: pydicom 2.3's encapsulate_extended computes offsets without item padding
    return data + b'\0' if len(data) % 2 else data


def base(name, ts, sop_suffix, photometric='RGB', sop_class=WSI):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = f'2.25.3000{sop_suffix}'
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = '2.25.4000'
    ds = FileDataset(name, {}, file_meta=meta, preamble=b'\0' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = SERIES + sop_suffix
    ds.Modality = 'SM'
    ds.InstanceNumber = 1
    ds.ImageType = ['ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE']
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.Rows = T
    ds.Columns = T
    ds.NumberOfFrames = NX * NY
    ds.TotalPixelMatrixColumns = W
    ds.TotalPixelMatrixRows = H
    ds.DimensionOrganizationType = 'TILED_FULL'
    ds.TotalPixelMatrixFocalPlanes = 1
    ds.NumberOfOpticalPaths = 1
    measures = Dataset()
    measures.PixelSpacing = [0.0005, 0.00025]  # rows 0.5 um, columns 0.25 um
    measures.SliceThickness = 0.001
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([measures])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    return ds


def save(ds, name):
    path = os.path.join(OUT, name)
    ds.save_as(path, write_like_original=False)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    img = pattern()
    tl = tiles(img)
    jpegs = [jpeg(t) for t in tl]

    ds = base('native-rgb.dcm', ExplicitVRLittleEndian, '1')
    ds.PixelData = b''.join(t.tobytes() for t in tl)
    save(ds, 'native-rgb.dcm')

    ds = base('native-rgb-implicit.dcm', ImplicitVRLittleEndian, '2')
    ds.PixelData = b''.join(t.tobytes() for t in tl)
    save(ds, 'native-rgb-implicit.dcm')

    ds = base('jpeg-ybr-nobot.dcm', JPEGBaseline8Bit, '3', 'YBR_FULL_422')
    ds.PixelData = encapsulate(jpegs, has_bot=False)
    ds['PixelData'].is_undefined_length = True
    ds['PixelData'].VR = 'OB'
    nobot = save(ds, 'jpeg-ybr-nobot.dcm')

    ds = base('jpeg-ybr-eot.dcm', JPEGBaseline8Bit, '4', 'YBR_FULL_422')
    data, offsets, lengths = encapsulate_extended(jpegs)
    ds.PixelData = data
    ds['PixelData'].is_undefined_length = True
    ds['PixelData'].VR = 'OB'
    ds.ExtendedOffsetTable = offsets
    ds['ExtendedOffsetTable'].VR = 'OV'
    ds.ExtendedOffsetTableLengths = lengths
    ds['ExtendedOffsetTableLengths'].VR = 'OV'
    save(ds, 'jpeg-ybr-eot.dcm')

    ds = base('jpeg-ybr-2frag.dcm', JPEGBaseline8Bit, '5', 'YBR_FULL_422')
    ds.PixelData = encapsulate(jpegs, fragments_per_frame=2, has_bot=True)
    ds['PixelData'].is_undefined_length = True
    ds['PixelData'].VR = 'OB'
    save(ds, 'jpeg-ybr-2frag.dcm')

    ds = base('positions-no-dimorg.dcm', ExplicitVRLittleEndian, '6')
    del ds.DimensionOrganizationType
    order = list(range(NX * NY))
    random.Random(7).shuffle(order)
    per_frame = []
    for k in order:
        c, r = k % NX, k // NX
        pos = Dataset()
        pos.ColumnPositionInTotalImagePixelMatrix = 1 + c * T
        pos.RowPositionInTotalImagePixelMatrix = 1 + r * T
        pos.ZOffsetInSlideCoordinateSystem = 0
        group = Dataset()
        group.PlanePositionSlideSequence = Sequence([pos])
        per_frame.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = b''.join(tl[k].tobytes() for k in order)
    save(ds, 'positions-no-dimorg.dcm')

    ds = base('frames-past-end.dcm', JPEGBaseline8Bit, '7', 'YBR_FULL_422')
    ds.PixelData = encapsulate(jpegs[:4], has_bot=False)
    ds['PixelData'].is_undefined_length = True
    ds['PixelData'].VR = 'OB'
    save(ds, 'frames-past-end.dcm')

    raw = open(nobot, 'rb').read()
    cut = len(raw) - 8 - len(jpegs[-1]) // 2  # before the delimiter, inside the last frame
    open(os.path.join(OUT, 'truncated-pixels.dcm'), 'wb').write(raw[:cut])
    raw = open(os.path.join(OUT, 'native-rgb.dcm'), 'rb').read()
    open(os.path.join(OUT, 'truncated-header.dcm'), 'wb').write(raw[:400])

    ds = base('not-wsi.dcm', ExplicitVRLittleEndian, '8', sop_class='1.2.840.10008.5.1.4.1.1.7')
    for k in ['TotalPixelMatrixColumns', 'TotalPixelMatrixRows', 'DimensionOrganizationType', 'TotalPixelMatrixFocalPlanes',
              'NumberOfOpticalPaths', 'SharedFunctionalGroupsSequence', 'NumberOfFrames']:
        delattr(ds, k)
    ds.Modality = 'OT'
    ds.PixelData = tl[0].tobytes()
    save(ds, 'not-wsi.dcm')

    ds = base('unsupported-rle.dcm', RLELossless, '9')
    ds.PixelData = encapsulate([b'\0' * 64 for _ in jpegs], has_bot=True)
    ds['PixelData'].is_undefined_length = True
    ds['PixelData'].VR = 'OB'
    save(ds, 'unsupported-rle.dcm')

    for name in sorted(os.listdir(OUT)):
        print(f'{name}: {os.path.getsize(os.path.join(OUT, name))} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
