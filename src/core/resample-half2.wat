;; Exact x2 INTER_AREA shrink (OpenCV 4.6 resizeAreaFast, scale 2 x 2, uint8), WebAssembly SIMD
;; kernel (compiled by scripts/build-wasm.ts into resample-half2.wasm.ts). Every output byte is
;; (a + b + c + d + 2) >> 2 of its 2 x 2 source block, per channel.
;;
;; Use: half2(in, out, pairs, stride, width, cn): `pairs` pairs of source rows of `stride` bytes
;; at `in` (contiguous, in >= 48: the constants live below), output rows of width * cn bytes at
;; `out` (contiguous). The kernel reads up to 48 bytes past the last source row and writes up to
;; 32 bytes past the last output row (whole chunks; the spill of a row lands in the next output row
;; before that row is written).
;;
;; RGB, 8 output pixels (24 bytes) per step, as 4 x 2 pixels: one unaligned 16-byte load holds the
;; 12 source bytes of 2 output pixels; i8x16.swizzle puts each output byte's two horizontal source
;; bytes (3 apart) side by side, i16x8.extadd_pairwise_i8x16_u sums them as u16 (6 lanes used), the
;; two rows are added, +2, >> 2, i8x16.narrow_i16x8_u packs two such vectors and two overlapping
;; 8-byte lane stores (6 bytes apart) write the 12 bytes. RGBA, 4 output pixels (16 bytes) per step:
;; the same with a 4-apart swizzle, all lanes used. The swizzle masks are loaded from memory into
;; locals once per call: an immediate i8x16.shuffle mask is rebuilt by V8 at every use.
(module
  (memory (export "memory") 1)
  ;; [0, 16) RGB pair mask, [16, 32) RGBA pair mask, [32, 48) i16x8 splat 2; loaded into locals
  ;; once per call (a mask held in a register: TurboFan rebuilds an immediate shuffle mask per use)
  (data (i32.const 0)
    "\00\03\01\04\02\05\06\09\07\0a\08\0b\0c\0c\0c\0c"
    "\00\04\01\05\02\06\03\07\08\0c\09\0d\0a\0e\0b\0f"
    "\02\00\02\00\02\00\02\00\02\00\02\00\02\00\02\00")

  (func $rgb (param $in i32) (param $out i32) (param $pairs i32) (param $stride i32) (param $width i32)
    (local $a i32) (local $b i32) (local $o i32) (local $n i32) (local $rowLen i32) (local $chunks i32)
    (local $v0 v128) (local $v1 v128) (local $m v128) (local $mask v128) (local $two v128)
    (local.set $mask (v128.load (i32.const 0)))
    (local.set $two (v128.load (i32.const 32)))
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
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=0 (local.get $a)) (local.get $mask)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=0 (local.get $b)) (local.get $mask)))))
          (local.set $v1 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=12 (local.get $a)) (local.get $mask)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=12 (local.get $b)) (local.get $mask)))))
          (local.set $m (i8x16.narrow_i16x8_u
            (i16x8.shr_u (i16x8.add (local.get $v0) (local.get $two)) (i32.const 2))
            (i16x8.shr_u (i16x8.add (local.get $v1) (local.get $two)) (i32.const 2))))
          (v128.store64_lane offset=0 0 (local.get $o) (local.get $m))
          (v128.store64_lane offset=6 1 (local.get $o) (local.get $m))
          (local.set $v0 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=24 (local.get $a)) (local.get $mask)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=24 (local.get $b)) (local.get $mask)))))
          (local.set $v1 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=36 (local.get $a)) (local.get $mask)))
            (i16x8.extadd_pairwise_i8x16_u (i8x16.swizzle
              (v128.load offset=36 (local.get $b)) (local.get $mask)))))
          (local.set $m (i8x16.narrow_i16x8_u
            (i16x8.shr_u (i16x8.add (local.get $v0) (local.get $two)) (i32.const 2))
            (i16x8.shr_u (i16x8.add (local.get $v1) (local.get $two)) (i32.const 2))))
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
    (local $s0 v128) (local $s1 v128) (local $mask v128) (local $two v128)
    (local.set $mask (v128.load (i32.const 16)))
    (local.set $two (v128.load (i32.const 32)))
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
              (i8x16.swizzle
                (v128.load (local.get $a)) (local.get $mask)))
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.swizzle
                (v128.load (local.get $b)) (local.get $mask)))))
          (local.set $s1 (i16x8.add
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.swizzle
                (v128.load offset=16 (local.get $a)) (local.get $mask)))
            (i16x8.extadd_pairwise_i8x16_u
              (i8x16.swizzle
                (v128.load offset=16 (local.get $b)) (local.get $mask)))))
          (v128.store (local.get $o)
            (i8x16.narrow_i16x8_u
              (i16x8.shr_u (i16x8.add (local.get $s0) (local.get $two)) (i32.const 2))
              (i16x8.shr_u (i16x8.add (local.get $s1) (local.get $two)) (i32.const 2))))
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
