//! The browser client's field products, checked natively.
//!
//! `vendor/ark-ff-macros` (src/montgomery/narrow.rs) gives `#[derive(MontConfig)]`
//! fields 28-bit-limb products on wasm, where tfhe-zk-pok's zk-pok prover and
//! arkworks' Groth16 prover run in the contributor's browser. The derive
//! emits them under `cfg(any(target_family = "wasm", test))`, so the fields
//! below (the same moduli as tfhe-zk-pok's BLS12-446 and ark-bn254's BN254,
//! checked) multiply with exactly the code the wasm client runs, and every
//! product, square and sum of two products is compared with a big-integer
//! Montgomery product. A wrong product there would otherwise show only as a
//! browser contribution refused by the server's proof verification.

use ark_ff::fields::*;
use ark_ff::{BigInteger, PrimeField};
use num_bigint::BigUint;

#[derive(MontConfig)]
#[modulus = "172824703542857155980071276579495962243492693522789898437834836356385656662277472896902502740297183690175962001546428467344062165330603"]
#[generator = "2"]
struct Fq446Config;
type Fq446 = Fp448<MontBackend<Fq446Config, 7>>;

#[derive(MontConfig)]
#[modulus = "645383785691237230677916041525710377746967055506026847120930304831624105190538527824412673"]
#[generator = "7"]
struct Fr446Config;
type Fr446 = Fp320<MontBackend<Fr446Config, 5>>;

#[derive(MontConfig)]
#[modulus = "21888242871839275222246405745257275088696311157297823662689037894645226208583"]
#[generator = "3"]
struct BnFqConfig;
type BnFq = Fp256<MontBackend<BnFqConfig, 4>>;

#[derive(MontConfig)]
#[modulus = "21888242871839275222246405745257275088548364400416034343698204186575808495617"]
#[generator = "5"]
struct BnFrConfig;
type BnFr = Fp256<MontBackend<BnFrConfig, 4>>;

#[test]
fn the_moduli_are_the_provers_fields() {
    assert_eq!(Fq446::MODULUS, tfhe_zk_pok::curve_446::Fq::MODULUS);
    assert_eq!(Fr446::MODULUS, tfhe_zk_pok::curve_446::Fr::MODULUS);
    assert_eq!(BnFq::MODULUS, ark_bn254::Fq::MODULUS);
    assert_eq!(BnFr::MODULUS, ark_bn254::Fr::MODULUS);
}

#[test]
fn these_fields_use_the_narrow_products() {
    // Only emitted where the narrow products are compiled in.
    assert_eq!(Fq446Config::NARROW_LIMBS, 16);
    assert_eq!(Fr446Config::NARROW_LIMBS, 12);
    assert_eq!(BnFqConfig::NARROW_LIMBS, 10);
    assert_eq!(BnFrConfig::NARROW_LIMBS, 10);
}

fn products_match<F: PrimeField>(name: &str) {
    let p = BigUint::from_bytes_le(&F::MODULUS.to_bytes_le());
    let bits = 64 * F::BigInt::NUM_LIMBS;
    // The Montgomery representation (x·R mod p) as a big integer.
    let representation =
        |x: &F| (BigUint::from_bytes_le(&x.into_bigint().to_bytes_le()) << bits) % &p;
    let r_inverse = (BigUint::from(1u8) << bits).modpow(&(&p - 2u8), &p);
    let montgomery = |a: &BigUint, b: &BigUint| (a * b * &r_inverse) % &p;
    // Representation of the field's result against the product of the representations.
    let check = |what: &str, got: F, a: &F, b: &F| {
        assert_eq!(
            representation(&got),
            montgomery(&representation(a), &representation(b)),
            "{name}: {what}"
        );
    };
    let mut values = vec![
        F::zero(),
        F::one(),
        -F::one(),
        -F::from(2u64),
        F::from(u64::MAX),
    ];
    let (mut x, y) = (
        F::from(123_456_789u64),
        F::from(987_654_321u64).pow([99u64]),
    );
    for _ in 0..3000 {
        values.push(x);
        x = x * y + x.square() + y;
    }
    for pair in values.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        check("a·b", a * b, &a, &b);
        check("a²", a.square(), &a, &a);
        let sum = F::sum_of_products(&[a, b], &[b, -a]);
        let want = (montgomery(&representation(&a), &representation(&b))
            + montgomery(&representation(&b), &representation(&-a)))
            % &p;
        assert_eq!(representation(&sum), want, "{name}: a·b + b·(−a)");
        let three = F::sum_of_products(&[a, b, a], &[a, b, b]);
        assert_eq!(
            three,
            a.square() + b.square() + a * b,
            "{name}: sum of three products"
        );
    }
}

#[test]
fn narrow_products_equal_the_montgomery_products() {
    products_match::<Fq446>("BLS12-446 base field");
    products_match::<Fr446>("BLS12-446 scalar field");
    products_match::<BnFq>("BN254 base field");
    products_match::<BnFr>("BN254 scalar field");
}
