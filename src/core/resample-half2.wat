;; Exact x2 INTER_AREA shrink (OpenCV 4.6 resizeAreaFast, scale 2 x 2, uint8), WebAssembly SIMD
;; kernel (compiled by scripts/build-wasm.ts into resample-half2.wasm.ts). Every output byte is
;; (a + b + c + d + 2) >> 2 of its 2 x 2 source block, per channel.
;;
;; Use: half2(in, out, pairs, stride, width, cn): `pairs` pairs of source rows of `stride` bytes
;; at `in` (contiguous), output rows of width * cn bytes at `out` (contiguous). The kernel reads
;; up to 48 bytes past the last source row and writes up to 32 bytes past the last output row
;; (whole chunks; the spill of a row lands in the next output row before that row is written).
;;
;; RGB, 8 output pixels (24 bytes) per step: each output byte k has its two horizontal source
;; bytes f(k) and f(k) + 3. Unaligned 16-byte loads at +0, +16, +14, +30, +32 and a two-input
;; i8x16.shuffle put the pairs side by side for 8 outputs at a time, i16x8.extadd_pairwise_i8x16_u
;; sums them as u16, the two rows are added, +2, >> 2, and i8x16.narrow_i16x8_u repacks.
;; RGBA, 4 output pixels (16 bytes) per step: the pairs (4 bytes apart) come from a one-vector
;; shuffle of each 16-byte load.
(module
  (memory (export "memory") 1)

  (func $rgb (param $in i32) (param $out i32) (param $pairs i32) (param $stride i32) (param $width i32)
    (local $a i32) (local $b i32) (local $o i32) (local $n i32) (local $rowLen i32) (local $chunks i32)
    (local $v0 v128) (local $v1 v128) (local $m v128)
    (local.set $rowLen (i32.mul (local.get $width) (i32.const 3)))
    (local.set $chunks (i32.shr_u (i32.add (local.get $width) (i32.const 7)) (i32.const 3)))
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $pairs)))
        (local.set $a (local.get $in))
        (local.set $b (i32.add (local.get $in) (local.get $stride)))
        (local.set $o (local.get $out))
        (local.set $n (local.get $chunks))
        (loop $cols
          (local.set $v0 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=0 (local.get $a))) (local.get $m)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=0 (local.get $b))) (local.get $m)))))
          (local.set $v1 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=12 (local.get $a))) (local.get $m)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=12 (local.get $b))) (local.get $m)))))
          (local.set $m (i8x16.narrow_i16x8_u
            (i16x8.shr_u (i16x8.add (local.get $v0) (v128.const i16x8 2 2 2 2 2 2 2 2)) (i32.const 2))
            (i16x8.shr_u (i16x8.add (local.get $v1) (v128.const i16x8 2 2 2 2 2 2 2 2)) (i32.const 2))))
          (v128.store64_lane offset=0 0 (local.get $o) (local.get $m))
          (v128.store64_lane offset=6 1 (local.get $o) (local.get $m))
          (local.set $v0 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=24 (local.get $a))) (local.get $m)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=24 (local.get $b))) (local.get $m)))))
          (local.set $v1 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=36 (local.get $a))) (local.get $m)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.shuffle 0 3 1 4 2 5 6 9 7 10 8 11 12 12 12 12
              (local.tee $m (v128.load offset=36 (local.get $b))) (local.get $m)))))
          (local.set $m (i8x16.narrow_i16x8_u
            (i16x8.shr_u (i16x8.add (local.get $v0) (v128.const i16x8 2 2 2 2 2 2 2 2)) (i32.const 2))
            (i16x8.shr_u (i16x8.add (local.get $v1) (v128.const i16x8 2 2 2 2 2 2 2 2)) (i32.const 2))))
          (v128.store64_lane offset=12 0 (local.get $o) (local.get $m))
          (v128.store64_lane offset=18 1 (local.get $o) (local.get $m))
          (local.set $a (i32.add (local.get $a) (i32.const 48)))
          (local.set $b (i32.add (local.get $b) (i32.const 48)))
          (local.set $o (i32.add (local.get $o) (i32.const 24)))
          (br_if $cols (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $in (i32.add (local.get $in) (i32.shl (local.get $stride) (i32.const 1))))
        (local.set $out (i32.add (local.get $out) (local.get $rowLen)))
        (local.set $pairs (i32.sub (local.get $pairs) (i32.const 1)))
        (br $rows))))

  (func $rgba (param $in i32) (param $out i32) (param $pairs i32) (param $stride i32) (param $width i32)
    (local $a i32) (local $b i32) (local $o i32) (local $n i32) (local $chunks i32)
    (local $s0 v128) (local $s1 v128)
    (local.set $chunks (i32.shr_u (i32.add (local.get $width) (i32.const 3)) (i32.const 2)))
    (block $done
      (loop $rows
        (br_if $done (i32.eqz (local.get $pairs)))
        (local.set $a (local.get $in))
        (local.set $b (i32.add (local.get $in) (local.get $stride)))
        (local.set $o (local.get $out))
        (local.set $n (local.get $chunks))
        (loop $cols
          (local.set $s0 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.shuffle 0 4 1 5 2 6 3 7 8 12 9 13 10 14 11 15
                (local.tee $s0 (v128.load (local.get $a))) (local.get $s0)))
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.shuffle 0 4 1 5 2 6 3 7 8 12 9 13 10 14 11 15
                (local.tee $s1 (v128.load (local.get $b))) (local.get $s1)))))
          (local.set $s1 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.shuffle 0 4 1 5 2 6 3 7 8 12 9 13 10 14 11 15
                (local.tee $s1 (v128.load offset=16 (local.get $a))) (local.get $s1)))
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.shuffle 0 4 1 5 2 6 3 7 8 12 9 13 10 14 11 15
                (local.tee $s1 (v128.load offset=16 (local.get $b))) (local.get $s1)))))
          (v128.store (local.get $o)
            (i8x16.narrow_i16x8_u
              (i16x8.shr_u (i16x8.add (local.get $s0) (v128.const i16x8 2 2 2 2 2 2 2 2)) (i32.const 2))
              (i16x8.shr_u (i16x8.add (local.get $s1) (v128.const i16x8 2 2 2 2 2 2 2 2)) (i32.const 2))))
          (local.set $a (i32.add (local.get $a) (i32.const 32)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $cols (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $in (i32.add (local.get $in) (i32.shl (local.get $stride) (i32.const 1))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $width) (i32.const 2))))
        (local.set $pairs (i32.sub (local.get $pairs) (i32.const 1)))
        (br $rows))))

  (func (export "half2") (param $in i32) (param $out i32) (param $pairs i32) (param $stride i32) (param $width i32) (param $cn i32)
    (if (i32.eq (local.get $cn) (i32.const 4))
      (then (call $rgba (local.get $in) (local.get $out) (local.get $pairs) (local.get $stride) (local.get $width)))
      (else (call $rgb (local.get $in) (local.get $out) (local.get $pairs) (local.get $stride) (local.get $width))))))
