;; Variance of the Laplacian, WebAssembly SIMD kernel (compiled by scripts/build-wasm.ts
;; into lv-kernel.wasm.ts). Computes the exact sums S1 = sum(lap), S2 = sum(lap^2) of the
;; OpenCV 4.6 Laplacian (ksize 1, BORDER_REFLECT_101) of the 15-bit gray image
;;   gray = (9798 R + 19235 G + 3735 B + 16384) >> 15.
;;
;; Layout chosen by the caller (lv-wasm.ts):
;;   [0, 16)      out: S1, S2 as f64 (exact integers below 2^53)
;;   [64, 192)    tail masks: entry k (0..7) keeps the first k i16 lanes
;;   $ring        three gray rows of $rs bytes each, i16 elements; element 0 and w+1 are
;;                the reflect-101 pads, elements 1..w the gray row (SIMD writes up to w+8)
;;   $in          a block of whole pixel rows, with >= 32 readable bytes after them
;;
;; Use: begin(w, h, ch, ring, rs); rows(in, y0, n) for consecutive blocks of rows; finish().
;;
;; Gray: one 16-byte load holds 4 pixels (RGB: 12 bytes used, RGBA: 16); i8x16.swizzle
;; with a constant mask (indices >= 16 give 0; one function per channel count so the mask
;; stays a constant) deinterleaves and zero-extends them into i16 pairs (R,G) and (B,1); two
;; i32x4.dot_i16x8_s with (9798,19235) and (3735,16384) give the 32-bit sums, >> 15, and
;; i16x8.narrow_i32x4_s packs 8 gray values. Laplacian: five i16x8 loads (up, down, left,
;; right, centre) from the padded rows, so there are no scalar border columns; the last
;; partial chunk is masked. Squares: i32x4.dot_i16x8_s(lap, lap); sums:
;; i32x4.extadd_pairwise_i16x8_s. The i32 lanes are flushed into i64x2 every <= 4096
;; columns (1024 squares of <= 1020^2 per lane < 2^31).
(module
  (memory (export "memory") 1)
  (data (i32.const 64)
    "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"
    "\ff\ff\00\00\00\00\00\00\00\00\00\00\00\00\00\00"
    "\ff\ff\ff\ff\00\00\00\00\00\00\00\00\00\00\00\00"
    "\ff\ff\ff\ff\ff\ff\00\00\00\00\00\00\00\00\00\00"
    "\ff\ff\ff\ff\ff\ff\ff\ff\00\00\00\00\00\00\00\00"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\00\00\00\00\00\00"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\00\00\00\00"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\00\00")

  ;; reflect-101 pads of a gray row: element 0 = element 2, element w+1 = element w-1
  ;; (a 1-px row reflects onto itself)
  (func $pads (param $dst i32) (param $w i32)
    (local $end i32)
    ;; $end: byte address of element w-1
    (local.set $end (i32.sub (i32.add (local.get $dst) (i32.shl (local.get $w) (i32.const 1))) (i32.const 2)))
    (if (i32.gt_u (local.get $w) (i32.const 1))
      (then
        (i32.store16 (local.get $dst) (i32.load16_u offset=4 (local.get $dst)))
        (i32.store16 offset=4 (local.get $end) (i32.load16_u (local.get $end))))
      (else
        (i32.store16 (local.get $dst) (i32.load16_u offset=2 (local.get $dst)))
        (i32.store16 offset=4 (local.get $dst) (i32.load16_u offset=2 (local.get $dst))))))

  ;; gray row dispatch on the channel count
  (func $gray_row (param $src i32) (param $w i32) (param $ch i32) (param $dst i32)
    (if (i32.eq (local.get $ch) (i32.const 3))
      (then (call $gray_row3 (local.get $src) (local.get $w) (local.get $dst)))
      (else (call $gray_row4 (local.get $src) (local.get $w) (local.get $dst)))))

  ;; gray row, 3 channels: pixels at $src (w pixels) -> i16 elements 1..w of the row at $dst
  ;; (written in chunks of 8, so up to element w+8), then the reflect-101 pads
  (func $gray_row3 (param $src i32) (param $w i32) (param $dst i32)
    (local $o i32) (local $end i32)
    (local $one v128) (local $crg v128) (local $cb v128)
    (local $v v128) (local $g0 v128)
    (local.set $crg (v128.const i16x8 9798 19235 9798 19235 9798 19235 9798 19235))
    (local.set $cb (v128.const i16x8 3735 16384 3735 16384 3735 16384 3735 16384))
    (local.set $one (v128.const i32x4 0x10000 0x10000 0x10000 0x10000))
    (local.set $o (i32.add (local.get $dst) (i32.const 2)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 1))))
    (loop $px
      (local.set $v (v128.load (local.get $src)))
      (local.set $g0
        (i32x4.shr_s
          (i32x4.add
            (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 1 128 3 128 4 128 6 128 7 128 9 128 10 128)) (local.get $crg))
            (i32x4.dot_i16x8_s (v128.or (i8x16.swizzle (local.get $v) (v128.const i8x16 2 128 128 128 5 128 128 128 8 128 128 128 11 128 128 128)) (local.get $one)) (local.get $cb)))
          (i32.const 15)))
      (local.set $v (v128.load offset=12 (local.get $src)))
      (v128.store (local.get $o) (i16x8.narrow_i32x4_s (local.get $g0)
        (i32x4.shr_s
          (i32x4.add
            (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 1 128 3 128 4 128 6 128 7 128 9 128 10 128)) (local.get $crg))
            (i32x4.dot_i16x8_s (v128.or (i8x16.swizzle (local.get $v) (v128.const i8x16 2 128 128 128 5 128 128 128 8 128 128 128 11 128 128 128)) (local.get $one)) (local.get $cb)))
          (i32.const 15))))
      (local.set $src (i32.add (local.get $src) (i32.const 24)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $px (i32.lt_u (local.get $o) (local.get $end))))
    (call $pads (local.get $dst) (local.get $w)))

  ;; gray row, 4 channels: pixels at $src (w pixels) -> i16 elements 1..w of the row at $dst
  ;; (written in chunks of 8, so up to element w+8), then the reflect-101 pads
  (func $gray_row4 (param $src i32) (param $w i32) (param $dst i32)
    (local $o i32) (local $end i32)
    (local $one v128) (local $crg v128) (local $cb v128)
    (local $v v128) (local $g0 v128)
    (local.set $crg (v128.const i16x8 9798 19235 9798 19235 9798 19235 9798 19235))
    (local.set $cb (v128.const i16x8 3735 16384 3735 16384 3735 16384 3735 16384))
    (local.set $one (v128.const i32x4 0x10000 0x10000 0x10000 0x10000))
    (local.set $o (i32.add (local.get $dst) (i32.const 2)))
    (local.set $end (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 1))))
    (loop $px
      (local.set $v (v128.load (local.get $src)))
      (local.set $g0
        (i32x4.shr_s
          (i32x4.add
            (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 1 128 4 128 5 128 8 128 9 128 12 128 13 128)) (local.get $crg))
            (i32x4.dot_i16x8_s (v128.or (i8x16.swizzle (local.get $v) (v128.const i8x16 2 128 128 128 6 128 128 128 10 128 128 128 14 128 128 128)) (local.get $one)) (local.get $cb)))
          (i32.const 15)))
      (local.set $v (v128.load offset=16 (local.get $src)))
      (v128.store (local.get $o) (i16x8.narrow_i32x4_s (local.get $g0)
        (i32x4.shr_s
          (i32x4.add
            (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 1 128 4 128 5 128 8 128 9 128 12 128 13 128)) (local.get $crg))
            (i32x4.dot_i16x8_s (v128.or (i8x16.swizzle (local.get $v) (v128.const i8x16 2 128 128 128 6 128 128 128 10 128 128 128 14 128 128 128)) (local.get $one)) (local.get $cb)))
          (i32.const 15))))
      (local.set $src (i32.add (local.get $src) (i32.const 32)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $px (i32.lt_u (local.get $o) (local.get $end))))
    (call $pads (local.get $dst) (local.get $w)))

  ;; Laplacian of row $y (its rows y-1, y, y+1, or their reflections, are in the ring):
  ;; adds its sums to $s1, $s2
  (func $lap_row (param $y i32)
    (local $up i32) (local $cur i32) (local $down i32)
    (local $x i32) (local $full i32) (local $blockEnd i32) (local $tail i32)
    (local $u i32) (local $c i32) (local $d i32)
    (local $lap v128) (local $a1 v128) (local $a2 v128) (local $s1 v128) (local $s2 v128)
    (local.set $full (i32.and (global.get $w) (i32.const -8)))
    (local.set $tail (i32.and (global.get $w) (i32.const 7)))
    (local.set $s1 (global.get $s1))
    (local.set $s2 (global.get $s2))
    (local.set $cur (call $slot (local.get $y)))
    ;; reflect-101 rows: row -1 = row 1, row h = row h-2; a 1-px column reflects onto itself
    (if (i32.gt_u (local.get $y) (i32.const 0))
      (then (local.set $up (call $slot (i32.sub (local.get $y) (i32.const 1)))))
      (else (local.set $up (call $slot (select (i32.const 1) (i32.const 0) (i32.gt_u (global.get $h) (i32.const 1)))))))
    (if (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (global.get $h))
      (then (local.set $down (call $slot (i32.add (local.get $y) (i32.const 1)))))
      (else (local.set $down (call $slot
              (select (i32.sub (global.get $h) (i32.const 2)) (i32.const 0) (i32.gt_u (global.get $h) (i32.const 1)))))))
    ;; byte pointers: $u/$d at element 1 of the up/down rows, $c at element 0 of this row
    (local.set $u (i32.add (local.get $up) (i32.const 2)))
    (local.set $d (i32.add (local.get $down) (i32.const 2)))
    (local.set $c (local.get $cur))
    (local.set $x (i32.const 0))
    (block $rowDone
      (loop $blocks
        (br_if $rowDone (i32.ge_u (local.get $x) (local.get $full)))
        (local.set $blockEnd (i32.add (local.get $x) (i32.const 4096)))
        (if (i32.gt_u (local.get $blockEnd) (local.get $full)) (then (local.set $blockEnd (local.get $full))))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (loop $chunks
          (local.set $lap
            (i16x8.sub
              (i16x8.add
                (i16x8.add (v128.load (local.get $u)) (v128.load (local.get $d)))
                (i16x8.add (v128.load (local.get $c)) (v128.load offset=4 (local.get $c))))
              (i16x8.shl (v128.load offset=2 (local.get $c)) (i32.const 2))))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $lap) (local.get $lap))))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extadd_pairwise_i16x8_s (local.get $lap))))
          (local.set $u (i32.add (local.get $u) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (local.set $x (i32.add (local.get $x) (i32.const 8)))
          (br_if $chunks (i32.lt_u (local.get $x) (local.get $blockEnd))))
        (local.set $s1 (i64x2.add (local.get $s1) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $a1)) (i64x2.extend_high_i32x4_s (local.get $a1)))))
        (local.set $s2 (i64x2.add (local.get $s2) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $a2)) (i64x2.extend_high_i32x4_s (local.get $a2)))))
        (br $blocks)))
    ;; the last partial chunk, lanes >= w masked to 0
    (if (local.get $tail)
      (then
        (local.set $lap
          (v128.and
            (i16x8.sub
              (i16x8.add
                (i16x8.add (v128.load (local.get $u)) (v128.load (local.get $d)))
                (i16x8.add (v128.load (local.get $c)) (v128.load offset=4 (local.get $c))))
              (i16x8.shl (v128.load offset=2 (local.get $c)) (i32.const 2)))
            (v128.load offset=64 (i32.shl (local.get $tail) (i32.const 4)))))
        (local.set $a2 (i32x4.dot_i16x8_s (local.get $lap) (local.get $lap)))
        (local.set $a1 (i32x4.extadd_pairwise_i16x8_s (local.get $lap)))
        (local.set $s1 (i64x2.add (local.get $s1) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $a1)) (i64x2.extend_high_i32x4_s (local.get $a1)))))
        (local.set $s2 (i64x2.add (local.get $s2) (i64x2.add (i64x2.extend_low_i32x4_s (local.get $a2)) (i64x2.extend_high_i32x4_s (local.get $a2)))))))
    (global.set $s1 (local.get $s1))
    (global.set $s2 (local.get $s2)))

  ;; byte address of the ring slot of row $y
  (func $slot (param $y i32) (result i32)
    (i32.add (global.get $ring) (i32.mul (i32.rem_u (local.get $y) (i32.const 3)) (global.get $rs))))

  ;; Starts an image of w x h pixels of ch (3 or 4) bytes, with its gray ring at $ring
  ;; (three rows of $rs bytes).
  (func (export "begin") (param $w i32) (param $h i32) (param $ch i32) (param $ring i32) (param $rs i32)
    (global.set $w (local.get $w))
    (global.set $h (local.get $h))
    (global.set $ch (local.get $ch))
    (global.set $ring (local.get $ring))
    (global.set $rs (local.get $rs))
    (global.set $s1 (v128.const i64x2 0 0))
    (global.set $s2 (v128.const i64x2 0 0)))

  ;; Rows y0 .. y0+n-1 of the image, contiguous at $in (with >= 32 readable bytes after them).
  ;; Rows must come in order; each row's Laplacian is summed as soon as the row below exists.
  (func (export "rows") (param $in i32) (param $y0 i32) (param $n i32)
    (local $r i32) (local $end i32) (local $pitch i32)
    (local.set $pitch (i32.mul (global.get $w) (global.get $ch)))
    (local.set $r (local.get $y0))
    (local.set $end (i32.add (local.get $y0) (local.get $n)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $r) (local.get $end)))
        (call $gray_row (local.get $in) (global.get $w) (global.get $ch) (call $slot (local.get $r)))
        (if (i32.gt_u (local.get $r) (i32.const 0))
          (then (call $lap_row (i32.sub (local.get $r) (i32.const 1)))))
        (if (i32.eq (i32.add (local.get $r) (i32.const 1)) (global.get $h))
          (then (call $lap_row (local.get $r))))
        (local.set $in (i32.add (local.get $in) (local.get $pitch)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each))))

  ;; Writes S1 (f64) at 0 and S2 (f64) at 8: exact integers below 2^53.
  (func (export "finish")
    (f64.store (i32.const 0)
      (f64.convert_i64_s (i64.add (i64x2.extract_lane 0 (global.get $s1)) (i64x2.extract_lane 1 (global.get $s1)))))
    (f64.store (i32.const 8)
      (f64.convert_i64_s (i64.add (i64x2.extract_lane 0 (global.get $s2)) (i64x2.extract_lane 1 (global.get $s2))))))

  (global $w (mut i32) (i32.const 0))
  (global $h (mut i32) (i32.const 0))
  (global $ch (mut i32) (i32.const 0))
  (global $ring (mut i32) (i32.const 0))
  (global $rs (mut i32) (i32.const 0))
  (global $s1 (mut v128) (v128.const i64x2 0 0))
  (global $s2 (mut v128) (v128.const i64x2 0 0)))
