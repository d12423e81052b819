//! Cipherpool patch: Montgomery products with 28-bit limbs on wasm.
//!
//! WebAssembly has no 64 × 64 → 128-bit multiply, so ark-ff's CIOS on
//! 64-bit limbs spends four `i64.mul` and a chain of carries on every limb
//! product. Here the field element is cut into 28-bit limbs: a limb product
//! is one `i64.mul` below 2^56, and a whole column of the product and of the
//! reduction (at most 48 such terms) adds up in a `u64` without a carry.
//! Product scanning with the Montgomery reduction interleaved (one
//! `m_k = t·(−p⁻¹) mod 2^28` per column), straight-line code generated here
//! with the modulus' limbs as constants.
//!
//! Used for N from 2 to 7 limbs where 4p ≤ R = 2^(64N) (see `body`): in this
//! workspace tfhe-zk-pok's BLS12-446 fields (N = 7 and 5), which carry most
//! of the contributor's zk-pok proving time in the browser, and BN254's
//! (N = 4), the Groth16 attestation's. Measured in V8 (Node 20, one chain of
//! dependent products): 446-bit products 340 → 152 ns, squares 251 → 120 ns,
//! sums of two products 358 → 208 ns; BN254 products 82 → 58 ns.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

const W: usize = 28;
const MASK: u64 = (1 << W) - 1;

/// The number of 28-bit limbs, when this field gets the narrow products: N
/// from 2 to 7 and 4p < R (see `body` for why).
pub(super) fn narrow_limbs(num_limbs: usize, modulus_limbs: &[u64]) -> Option<usize> {
    let bits = 64 * num_limbs;
    let top = modulus_limbs[num_limbs - 1];
    let modulus_bits = 64 * (num_limbs - 1) + (64 - top.leading_zeros() as usize);
    let rest = bits % W;
    if (2..=7).contains(&num_limbs) && modulus_bits + 2 <= bits && rest != 1 {
        Some(bits.div_ceil(W))
    } else {
        None
    }
}

/// Where the k-th 28-bit limb lies in N 64-bit limbs: its word, its shift
/// in that word, and, when it runs on into the next word (one that exists),
/// the shift of that part back (64 − shift).
fn place(k: usize, num_limbs: usize) -> (usize, usize, Option<usize>) {
    let (word, shift) = (k * W / 64, k * W % 64);
    let back = (shift + W > 64 && word + 1 < num_limbs).then(|| 64 - shift);
    (word, shift, back)
}

/// The modulus in 28-bit limbs.
fn split_constant(limbs64: &[u64], count: usize) -> Vec<u64> {
    (0..count)
        .map(|k| {
            let (word, shift, back) = place(k, limbs64.len());
            let mut v = limbs64[word] >> shift;
            if let Some(back) = back {
                v |= limbs64[word + 1] << back;
            }
            v & MASK
        })
        .collect()
}

/// Statements binding `{prefix}{k}` to the k-th 28-bit limb of `src`.
fn split_code(src: &TokenStream, prefix: &str, count: usize, num_limbs: usize) -> TokenStream {
    let mut out = TokenStream::new();
    for k in 0..count {
        let name = format_ident!("{}{}", prefix, k);
        let (word, shift, back) = place(k, num_limbs);
        let value = match back {
            Some(back) => quote!((#src[#word] >> #shift) | (#src[#word + 1] << #back)),
            None => quote!(#src[#word] >> #shift),
        };
        out.extend(quote!(let #name: u64 = (#value) & #MASK;));
    }
    out
}

/// What a generated function computes.
#[derive(Clone, Copy)]
enum Kind {
    /// a·b (`a`, `b`: `[u64; N]`).
    Mul,
    /// a² (`a`: `[u64; N]`).
    Square,
    /// a[0]·b[0] + a[1]·b[1] (`a`, `b`: `[[u64; N]; 2]`), one reduction.
    SumOfTwo,
}

/// Product-scanning Montgomery multiplication, squaring or sum of two
/// products of inputs below p, returning `[u64; N]` below 2p.
///
/// The inputs are cut into L = ⌈64N/28⌉ limbs. R = 2^(64N) = 2^(28q + e):
/// q columns reduce 28 bits each (one `m_k = t·(−p⁻¹) mod 2^28` per column),
/// and where 64N is not a multiple of 28 a last step reduces the remaining
/// e bits of the result (m < 2^e, then a shift by e).
///
/// Column sums: at most 2·L product terms and q reduction terms, each below
/// 2^56, plus a carry below 2^37: below 2^62 for L ≤ 16. The result,
/// (Σ aᵢbᵢ + m·p)/R with m < R taken in the two steps, is below
/// p·(1 + 2p/R + 2^−e) ≤ p·(1 + 1/2 + 1/4) < 2p, since 4p ≤ R and e is 0
/// or at least 2 (`narrow_limbs`).
fn body(num_limbs: usize, modulus_limbs: &[u64], count: usize, kind: Kind) -> TokenStream {
    assert!(count <= 16, "column sums are bounded for at most 16 limbs");
    let p = split_constant(modulus_limbs, count);
    // −p⁻¹ mod 2^28 by Newton's iteration (p is odd).
    let mut inv: u64 = 1;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(p[0].wrapping_mul(inv)));
    }
    let pinv = (inv.wrapping_neg() & MASK) as u32;
    let mask = MASK;

    let a = |s: usize, i: usize| format_ident!("a{}_{}", s, i);
    let b = |s: usize, i: usize| format_ident!("b{}_{}", s, i);
    let m = |i: usize| format_ident!("m{}", i);
    let r = |i: usize| format_ident!("r{}", i);

    let mut code = TokenStream::new();
    match kind {
        Kind::Mul => {
            code.extend(split_code(&quote!(a), "a0_", count, num_limbs));
            code.extend(split_code(&quote!(b), "b0_", count, num_limbs));
        }
        Kind::Square => code.extend(split_code(&quote!(a), "a0_", count, num_limbs)),
        Kind::SumOfTwo => {
            for s in 0..2usize {
                code.extend(split_code(&quote!(a[#s]), &format!("a{}_", s), count, num_limbs));
                code.extend(split_code(&quote!(b[#s]), &format!("b{}_", s), count, num_limbs));
            }
        }
    }
    code.extend(quote!(let mut t: u64 = 0;));

    // The product's terms of column k.
    let product = |k: usize| -> Vec<TokenStream> {
        let lo = (k + 1).saturating_sub(count);
        let hi = k.min(count - 1);
        let mut terms = Vec::new();
        match kind {
            Kind::Square => {
                let mut pairs = Vec::new();
                for i in lo..=hi {
                    let j = k - i;
                    if i < j {
                        let (ai, aj) = (a(0, i), a(0, j));
                        pairs.push(quote!(#ai * #aj));
                    }
                }
                if !pairs.is_empty() {
                    terms.push(quote!(((#(#pairs)+*) << 1)));
                }
                if k % 2 == 0 && k / 2 < count {
                    let ai = a(0, k / 2);
                    terms.push(quote!(#ai * #ai));
                }
            }
            Kind::Mul | Kind::SumOfTwo => {
                let sets = if let Kind::Mul = kind { 1 } else { 2 };
                for s in 0..sets {
                    for i in lo..=hi {
                        let (ai, bj) = (a(s, i), b(s, k - i));
                        terms.push(quote!(#ai * #bj));
                    }
                }
            }
        }
        terms
    };

    let full = 64 * num_limbs / W;
    let e = 64 * num_limbs - full * W;
    for k in 0..(2 * count - 1) {
        let mut terms = product(k);
        let lo = (k + 1).saturating_sub(count);
        for i in lo..k.min(full) {
            let (mi, pk) = (m(i), p[k - i]);
            terms.push(quote!(#mi * #pk));
        }
        code.extend(quote!(t += #(#terms)+*;));
        if k < full {
            let (mk, p0) = (m(k), p[0]);
            code.extend(quote! {
                let #mk: u64 = ((t as u32).wrapping_mul(#pinv) as u64) & #mask;
                t += #mk * #p0;
                t >>= #W;
            });
        } else {
            let rk = r(k - full);
            code.extend(quote! {
                let #rk: u64 = t & #mask;
                t >>= #W;
            });
        }
    }
    let outputs = 2 * count - full;
    let last = r(outputs - 1);
    code.extend(quote!(let #last: u64 = t;));

    // The last e bits: r ← (r + m·p) / 2^e with m = r·(−p⁻¹) mod 2^e. The
    // result's 28-bit limbs are then s0… (e > 0) or r0… (e = 0).
    let result: Vec<proc_macro2::Ident> = if e > 0 {
        let low = (1u64 << e) - 1;
        let up = W - e;
        let s = |i: usize| format_ident!("s{}", i);
        let (r0, p0) = (r(0), p[0]);
        code.extend(quote! {
            let me: u64 = ((#r0 as u32).wrapping_mul(#pinv) as u64) & #low;
            let mut t: u64 = (#r0 + me * #p0) >> #e;
        });
        for k in 1..outputs {
            let (rk, sk) = (r(k), s(k - 1));
            let term = if k < count {
                let pk = p[k];
                quote!((#rk + me * #pk))
            } else {
                quote!(#rk)
            };
            code.extend(quote! {
                t += #term << #up;
                let #sk: u64 = t & #mask;
                t >>= #W;
            });
        }
        let sl = s(outputs - 1);
        code.extend(quote!(let #sl: u64 = t;));
        (0..count).map(s).collect()
    } else {
        (0..count).map(r).collect()
    };

    // Back to 64-bit limbs.
    // Limbs at or above bit 64N are zero: the result is below 2p < R.
    let mut words: Vec<Vec<TokenStream>> = vec![Vec::new(); num_limbs];
    for (k, rk) in result.iter().enumerate() {
        let (word, shift, back) = place(k, num_limbs);
        words[word].push(quote!((#rk << #shift)));
        if let Some(back) = back {
            words[word + 1].push(quote!((#rk >> #back)));
        }
    }
    let words = words.into_iter().map(|parts| quote!(#(#parts)|*));
    code.extend(quote!([#(#words),*]));
    code
}

/// `__narrow_mul`, `__narrow_square` and `__narrow_sum_of_two`, compiled for
/// wasm, and in the deriving crate's own tests so that they can be checked
/// natively (`fhe-compute/tests/narrow_field_products.rs`), which also read
/// `NARROW_LIMBS` to know that they are in use.
pub(super) fn narrow_impl(
    config_name: &proc_macro2::Ident,
    num_limbs: usize,
    modulus_limbs: &[u64],
    count: usize,
) -> TokenStream {
    let mul = body(num_limbs, modulus_limbs, count, Kind::Mul);
    let square = body(num_limbs, modulus_limbs, count, Kind::Square);
    let sum_of_two = body(num_limbs, modulus_limbs, count, Kind::SumOfTwo);
    quote! {
        #[cfg(any(target_family = "wasm", test))]
        #[doc(hidden)]
        impl #config_name {
            pub const NARROW_LIMBS: usize = #count;
        }

        #[cfg(any(target_family = "wasm", test))]
        #[inline(never)]
        #[allow(clippy::all, unused)]
        fn __narrow_mul(a: &[u64; #num_limbs], b: &[u64; #num_limbs]) -> [u64; #num_limbs] {
            #mul
        }

        #[cfg(any(target_family = "wasm", test))]
        #[inline(never)]
        #[allow(clippy::all, unused)]
        fn __narrow_square(a: &[u64; #num_limbs]) -> [u64; #num_limbs] {
            #square
        }

        #[cfg(any(target_family = "wasm", test))]
        #[inline(never)]
        #[allow(clippy::all, unused)]
        fn __narrow_sum_of_two(
            a: &[[u64; #num_limbs]; 2],
            b: &[[u64; #num_limbs]; 2],
        ) -> [u64; #num_limbs] {
            #sum_of_two
        }
    }
}
