//! Groth16 over BN254 for the two circuits — the contributor attestation and the
//! reward-note claim: keys, proofs and their byte encodings, setup, proving and
//! verification.
//!
//! Keys carry their circuit in their type ([`Attestation`] or [`Claim`]), so a claim
//! key can never verify an attestation. All encodings are ark-serialize *compressed*;
//! every decoder uses checked deserialization (points on the curve and in the
//! prime-order subgroup), refuses trailing bytes and keys with another number of
//! public inputs.

use std::fmt;
use std::marker::PhantomData;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};

use super::circuit::AttestationCircuit;
use super::PUBLIC_INPUTS;
use super::{AttestationError, Fr, IdentitySecret, MerklePath, PublicInputs, Tier};

type G16 = Groth16<Bn254>;

/// Length in bytes of an encoded [`Proof`] (compressed G1, G2, G1).
pub const PROOF_BYTES: usize = 128;

mod sealed {
    pub trait Sealed {}
}

/// One of the protocol's circuits, as a type parameter of its keys.
pub trait CircuitKind: sealed::Sealed + Clone + Copy + fmt::Debug + 'static {
    /// The number of public inputs of the circuit.
    const PUBLIC_INPUTS: usize;
}

/// The contributor attestation circuit ([`super::circuit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attestation {}

/// The reward-note claim circuit ([`super::claim`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {}

impl sealed::Sealed for Attestation {}
impl sealed::Sealed for Claim {}

impl CircuitKind for Attestation {
    const PUBLIC_INPUTS: usize = PUBLIC_INPUTS;
}

impl CircuitKind for Claim {
    const PUBLIC_INPUTS: usize = super::claim::CLAIM_PUBLIC_INPUTS;
}

pub(crate) fn synthesis(e: impl fmt::Display) -> AttestationError {
    AttestationError::Synthesis(e.to_string())
}

/// Compressed ark-serialize encoding.
fn encode<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    // Unwrap safety: serializing curve points and vectors into a `Vec` cannot fail
    // (the only error source would be the writer, and `Vec` always accepts bytes).
    value
        .serialize_compressed(&mut out)
        .expect("serializing into a Vec cannot fail");
    out
}

/// Decoding of exactly one value in the given form; refuses trailing bytes.
fn decode_whole<T: CanonicalDeserialize>(
    bytes: &[u8],
    compress: Compress,
    validate: Validate,
) -> Result<T, String> {
    let mut reader = bytes;
    let value =
        T::deserialize_with_mode(&mut reader, compress, validate).map_err(|e| e.to_string())?;
    if !reader.is_empty() {
        return Err(format!("{} trailing bytes", reader.len()));
    }
    Ok(value)
}

/// Checked compressed decoding of exactly one value; refuses trailing bytes.
fn decode_exact<T: CanonicalDeserialize>(bytes: &[u8]) -> Result<T, String> {
    decode_whole(bytes, Compress::Yes, Validate::Yes)
}

/// Uncompressed decoding of exactly one value without the curve and
/// subgroup checks; refuses trailing bytes. Only for bytes whose hash was
/// checked against one the keyholders signed.
fn decode_trusted<T: CanonicalDeserialize>(bytes: &[u8]) -> Result<T, String> {
    decode_whole(bytes, Compress::No, Validate::No)
}

/// Checks that a verifying key is for a circuit with `C::PUBLIC_INPUTS` public inputs.
fn check_vk_shape<C: CircuitKind>(
    vk: &ark_groth16::VerifyingKey<Bn254>,
) -> Result<(), AttestationError> {
    let got = vk.gamma_abc_g1.len();
    if got != C::PUBLIC_INPUTS + 1 {
        return Err(AttestationError::MalformedKey(format!(
            "key has {} public inputs, expected {}",
            got.saturating_sub(1),
            C::PUBLIC_INPUTS
        )));
    }
    Ok(())
}

/// A Groth16 proving key of circuit `C` (used by contributors' clients).
pub struct CircuitProvingKey<C: CircuitKind>(ark_groth16::ProvingKey<Bn254>, PhantomData<C>);

/// The attestation circuit's proving key.
pub type ProvingKey = CircuitProvingKey<Attestation>;

/// The claim circuit's proving key.
pub type ClaimProvingKey = CircuitProvingKey<Claim>;

impl<C: CircuitKind> Clone for CircuitProvingKey<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<C: CircuitKind> CircuitProvingKey<C> {
    /// Compressed encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.0)
    }

    /// Checked decoding of [`CircuitProvingKey::to_bytes`]; errors on invalid points, a key of the
    /// wrong shape, or trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttestationError> {
        let pk: ark_groth16::ProvingKey<Bn254> =
            decode_exact(bytes).map_err(AttestationError::MalformedKey)?;
        check_vk_shape::<C>(&pk.vk)?;
        Ok(Self(pk, PhantomData))
    }

    /// The form clients fetch and the keyholders sign the SHA-256 of
    /// ([`crate::wire::CircuitKeys`]): uncompressed points, about twice
    /// [`CircuitProvingKey::to_bytes`]'s size, read back by
    /// [`CircuitProvingKey::from_trusted_bytes`] in milliseconds.
    pub fn to_trusted_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.uncompressed_size());
        self.0
            .serialize_uncompressed(&mut out)
            .expect("serializing into a Vec cannot fail");
        out
    }

    /// Decoding of [`CircuitProvingKey::to_trusted_bytes`] for bytes already
    /// known to be the trusted key's (their SHA-256 checked against the hash
    /// every pinned keyholder signed): no point is decompressed or checked
    /// for curve and subgroup membership, which is all of
    /// [`CircuitProvingKey::from_bytes`]'s time. Never call it on bytes
    /// whose hash was not checked.
    pub fn from_trusted_bytes(bytes: &[u8]) -> Result<Self, AttestationError> {
        let pk: ark_groth16::ProvingKey<Bn254> =
            decode_trusted(bytes).map_err(AttestationError::MalformedKey)?;
        check_vk_shape::<C>(&pk.vk)?;
        Ok(Self(pk, PhantomData))
    }

    /// The verifying key matching this proving key.
    pub fn verifying_key(&self) -> CircuitVerifyingKey<C> {
        CircuitVerifyingKey::new(self.0.vk.clone())
    }
}

impl<C: CircuitKind> fmt::Debug for CircuitProvingKey<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvingKey").finish_non_exhaustive()
    }
}

/// A Groth16 verifying key of circuit `C`, with its prepared form cached.
pub struct CircuitVerifyingKey<C: CircuitKind> {
    vk: ark_groth16::VerifyingKey<Bn254>,
    prepared: ark_groth16::PreparedVerifyingKey<Bn254>,
    circuit: PhantomData<C>,
}

/// The attestation circuit's verifying key.
pub type VerifyingKey = CircuitVerifyingKey<Attestation>;

/// The claim circuit's verifying key.
pub type ClaimVerifyingKey = CircuitVerifyingKey<Claim>;

impl<C: CircuitKind> Clone for CircuitVerifyingKey<C> {
    fn clone(&self) -> Self {
        Self {
            vk: self.vk.clone(),
            prepared: self.prepared.clone(),
            circuit: PhantomData,
        }
    }
}

impl<C: CircuitKind> CircuitVerifyingKey<C> {
    fn new(vk: ark_groth16::VerifyingKey<Bn254>) -> Self {
        let prepared = ark_groth16::prepare_verifying_key(&vk);
        Self {
            vk,
            prepared,
            circuit: PhantomData,
        }
    }

    /// Compressed encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.vk)
    }

    /// Checked decoding of [`CircuitVerifyingKey::to_bytes`]; errors on invalid points, a key for
    /// another number of public inputs, or trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttestationError> {
        let vk: ark_groth16::VerifyingKey<Bn254> =
            decode_exact(bytes).map_err(AttestationError::MalformedKey)?;
        check_vk_shape::<C>(&vk)?;
        Ok(Self::new(vk))
    }
}

impl<C: CircuitKind> PartialEq for CircuitVerifyingKey<C> {
    fn eq(&self, other: &Self) -> bool {
        self.vk == other.vk
    }
}

impl<C: CircuitKind> Eq for CircuitVerifyingKey<C> {}

impl<C: CircuitKind> fmt::Debug for CircuitVerifyingKey<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").finish_non_exhaustive()
    }
}

/// A Groth16 proof (of either circuit; the verifying key says which).
#[derive(Clone, Debug, PartialEq)]
pub struct Proof(ark_groth16::Proof<Bn254>);

// Point equality is an equivalence relation.
impl Eq for Proof {}

impl Proof {
    /// Compressed encoding, [`PROOF_BYTES`] long.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.0)
    }

    /// Checked decoding: exactly [`PROOF_BYTES`] bytes, each point on the curve and in the
    /// prime-order subgroup.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttestationError> {
        if bytes.len() != PROOF_BYTES {
            return Err(AttestationError::MalformedProof(format!(
                "{} bytes, expected {PROOF_BYTES}",
                bytes.len()
            )));
        }
        decode_exact(bytes)
            .map(Self)
            .map_err(AttestationError::MalformedProof)
    }
}

/// Circuit-specific Groth16 setup for circuit `C` from an assignment of the right shape.
pub(crate) fn setup_circuit<
    C: CircuitKind,
    S: ConstraintSynthesizer<Fr>,
    R: RngCore + CryptoRng,
>(
    blank: S,
    rng: &mut R,
) -> Result<(CircuitProvingKey<C>, CircuitVerifyingKey<C>), AttestationError> {
    let (pk, vk) = G16::circuit_specific_setup(blank, rng).map_err(synthesis)?;
    check_vk_shape::<C>(&vk)?;
    Ok((
        CircuitProvingKey(pk, PhantomData),
        CircuitVerifyingKey::new(vk),
    ))
}

/// The number of R1CS constraints of a circuit, from an assignment of the right shape.
pub(crate) fn count_constraints<S: ConstraintSynthesizer<Fr>>(
    blank: S,
) -> Result<usize, AttestationError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    blank.generate_constraints(cs.clone()).map_err(synthesis)?;
    cs.finalize();
    Ok(cs.num_constraints())
}

/// Whether `circuit`'s assignment satisfies every constraint.
pub(crate) fn is_satisfied<S: ConstraintSynthesizer<Fr>>(
    circuit: S,
) -> Result<bool, AttestationError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit
        .generate_constraints(cs.clone())
        .map_err(synthesis)?;
    cs.is_satisfied().map_err(synthesis)
}

/// Proves `circuit` after checking that its witness satisfies it.
pub(crate) fn prove_circuit<C: CircuitKind, S, R>(
    pk: &CircuitProvingKey<C>,
    circuit: S,
    rng: &mut R,
) -> Result<Proof, AttestationError>
where
    S: ConstraintSynthesizer<Fr> + Clone,
    R: RngCore + CryptoRng,
{
    if !is_satisfied(circuit.clone())? {
        return Err(AttestationError::Unsatisfied);
    }
    G16::prove(&pk.0, circuit, rng)
        .map(Proof)
        .map_err(synthesis)
}

/// Verifies a proof against public inputs as field elements, counting them first
/// (ark-groth16 silently ignores missing or extra inputs).
pub(crate) fn verify_fields<C: CircuitKind>(
    vk: &CircuitVerifyingKey<C>,
    proof: &Proof,
    public_inputs: &[Fr],
) -> Result<(), AttestationError> {
    let expected = vk.vk.gamma_abc_g1.len().saturating_sub(1);
    if public_inputs.len() != expected || expected != C::PUBLIC_INPUTS {
        return Err(AttestationError::WrongPublicInputCount {
            got: public_inputs.len(),
            expected: C::PUBLIC_INPUTS,
        });
    }
    match G16::verify_with_processed_vk(&vk.prepared, public_inputs, &proof.0) {
        Ok(true) => Ok(()),
        Ok(false) => Err(AttestationError::InvalidProof),
        Err(e) => Err(synthesis(e)),
    }
}

/// Verifies proof bytes against raw public inputs of circuit `C`: the count first, then
/// the checked decoding, then the pairing check. Errors, never panics.
pub(crate) fn verify_raw_fields<C: CircuitKind>(
    vk: &CircuitVerifyingKey<C>,
    proof_bytes: &[u8],
    public_inputs: &[Fr],
) -> Result<(), AttestationError> {
    if public_inputs.len() != C::PUBLIC_INPUTS {
        return Err(AttestationError::WrongPublicInputCount {
            got: public_inputs.len(),
            expected: C::PUBLIC_INPUTS,
        });
    }
    let proof = Proof::from_bytes(proof_bytes)?;
    verify_fields(vk, &proof, public_inputs)
}

/// Circuit-specific Groth16 setup: generates the proving and verifying keys for the
/// attestation circuit. Whoever runs it knows the toxic waste, so in production run it
/// once, in a trusted place, and publish the keys.
pub fn setup<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> Result<(ProvingKey, VerifyingKey), AttestationError> {
    setup_circuit(AttestationCircuit::blank(), rng)
}

/// The number of R1CS constraints of the attestation circuit.
pub fn constraint_count() -> Result<usize, AttestationError> {
    count_constraints(AttestationCircuit::blank())
}

/// Proves that the holder of `secret` owns the leaf `registry_leaf(commitment(secret),
/// tier)` at `path`, for `campaign_id`, bound to the ciphertext digest and the reward
/// note's key.
///
/// Returns the proof and its public inputs. `root` is the root `path` leads to from the
/// commitment: the caller should check it is the registry root it expects (a secret that is
/// not in the tree yields a root no verifier accepts). Errors with `MalformedPath` /
/// `PathOutOfRange` for a malformed path and `Unsatisfied` if the witness does not satisfy
/// the circuit (checked before any proving work).
#[allow(clippy::too_many_arguments)] // one per part of the statement and witness
pub fn prove<R: RngCore + CryptoRng>(
    pk: &ProvingKey,
    secret: &IdentitySecret,
    path: &MerklePath,
    campaign_id: u64,
    ciphertext_digest: &[u8; 32],
    note_key: Fr,
    tier: Tier,
    rng: &mut R,
) -> Result<(Proof, PublicInputs), AttestationError> {
    let (circuit, public) =
        AttestationCircuit::new(secret, path, campaign_id, ciphertext_digest, note_key, tier)?;
    let proof = prove_circuit(pk, circuit, rng)?;
    Ok((proof, public))
}

/// Verifies `proof` against the public statement.
pub fn verify(
    vk: &VerifyingKey,
    proof: &Proof,
    public: &PublicInputs,
) -> Result<(), AttestationError> {
    verify_fields(vk, proof, &public.to_field_elements())
}

/// Verifies a proof received as bytes against public inputs received as raw field
/// elements (in the order of [`PublicInputs::to_field_elements`]).
///
/// Errors, never panics, on a wrong number of public inputs, undecodable proof bytes or a
/// proof that does not verify.
pub fn verify_raw(
    vk: &VerifyingKey,
    proof_bytes: &[u8],
    public_inputs: &[Fr],
) -> Result<(), AttestationError> {
    verify_raw_fields(vk, proof_bytes, public_inputs)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::Instant;

    use ark_std::rand::{rngs::StdRng, SeedableRng};

    use super::*;
    use crate::attestation::{binding, commitment, nullifier, registry_leaf, MerkleTree};

    const CAMPAIGN: u64 = 7;
    fn note_key() -> Fr {
        Fr::from(123_456u64)
    }
    const DIGEST: [u8; 32] = [0x11; 32];

    fn keys() -> &'static (ProvingKey, VerifyingKey) {
        static KEYS: OnceLock<(ProvingKey, VerifyingKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let start = Instant::now();
            let keys = setup(&mut StdRng::seed_from_u64(1)).unwrap();
            println!("setup: {:?}", start.elapsed());
            keys
        })
    }

    fn leaf_of(secret: &IdentitySecret) -> Fr {
        registry_leaf(commitment(secret), Tier::Open)
    }

    struct Fixture {
        secret: IdentitySecret,
        tree: MerkleTree,
        proof: Proof,
        public: PublicInputs,
    }

    /// One proof, shared by the tests that only check verification.
    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let mut rng = StdRng::seed_from_u64(2);
            let secret = IdentitySecret::random(&mut rng);
            let mut tree = MerkleTree::new();
            for _ in 0..3 {
                tree.push(leaf_of(&IdentitySecret::random(&mut rng)))
                    .unwrap();
            }
            let index = tree.push(leaf_of(&secret)).unwrap();
            tree.push(leaf_of(&IdentitySecret::random(&mut rng)))
                .unwrap();
            let path = tree.path(index).unwrap();
            let start = Instant::now();
            let (proof, public) = prove(
                &keys().0,
                &secret,
                &path,
                CAMPAIGN,
                &DIGEST,
                note_key(),
                Tier::Open,
                &mut rng,
            )
            .unwrap();
            println!("prove: {:?}", start.elapsed());
            Fixture {
                secret,
                tree,
                proof,
                public,
            }
        })
    }

    #[test]
    fn honest_proof_verifies() {
        let f = fixture();
        assert_eq!(f.public.root, f.tree.root());
        assert_eq!(f.public.nullifier, nullifier(&f.secret, CAMPAIGN));
        assert_eq!(f.public.binding, binding(&DIGEST, note_key()));
        assert_eq!(f.public.campaign_id, CAMPAIGN);
        let vk = &keys().1;
        let start = Instant::now();
        verify(vk, &f.proof, &f.public).unwrap();
        println!("verify: {:?}", start.elapsed());
        verify_raw(vk, &f.proof.to_bytes(), &f.public.to_field_elements()).unwrap();
        // The verifying key derived from the proving key is the same key.
        assert_eq!(keys().0.verifying_key(), *vk);
    }

    #[test]
    fn tampered_proof_bytes_fail() {
        let f = fixture();
        let vk = &keys().1;
        let bytes = f.proof.to_bytes();
        assert_eq!(bytes.len(), PROOF_BYTES);
        let inputs = f.public.to_field_elements();
        for i in [0, 5, 31, 32, 64, 95, 96, 127] {
            for mask in [0x01, 0x80] {
                let mut bad = bytes.clone();
                bad[i] ^= mask;
                match verify_raw(vk, &bad, &inputs) {
                    Err(AttestationError::MalformedProof(_))
                    | Err(AttestationError::InvalidProof) => {}
                    other => panic!("byte {i} mask {mask:#x}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn moved_proof_fails() {
        let f = fixture();
        let vk = &keys().1;
        let mut other_digest = DIGEST;
        other_digest[0] ^= 0xff;
        let cases = [
            PublicInputs {
                binding: binding(&other_digest, note_key()),
                ..f.public
            },
            PublicInputs {
                binding: binding(&DIGEST, note_key() + Fr::from(1u64)),
                ..f.public
            },
            PublicInputs {
                campaign_id: CAMPAIGN + 1,
                ..f.public
            },
            PublicInputs {
                nullifier: nullifier(&f.secret, CAMPAIGN + 1),
                campaign_id: CAMPAIGN + 1,
                ..f.public
            },
            PublicInputs {
                nullifier: f.public.nullifier + Fr::from(1u64),
                ..f.public
            },
            // The identity's open leaf, claimed as a verified one.
            PublicInputs {
                tier: Tier::Verified,
                ..f.public
            },
            PublicInputs {
                root: crate::attestation::empty_root(),
                ..f.public
            },
        ];
        for public in cases {
            assert_eq!(
                verify(vk, &f.proof, &public),
                Err(AttestationError::InvalidProof),
                "{public:?}"
            );
        }
        // A root from after more registrations is another statement too.
        let mut later = f.tree.clone();
        later.push(Fr::from(5u64)).unwrap();
        let stale = PublicInputs {
            root: later.root(),
            ..f.public
        };
        assert_eq!(
            verify(vk, &f.proof, &stale),
            Err(AttestationError::InvalidProof)
        );
    }

    #[test]
    fn wrong_public_input_count_fails() {
        let f = fixture();
        let vk = &keys().1;
        let bytes = f.proof.to_bytes();
        let inputs = f.public.to_field_elements();
        let mut more = inputs.clone();
        more.push(Fr::from(0u64));
        for bad in [&inputs[..4], &more[..], &[][..]] {
            assert_eq!(
                verify_raw(vk, &bytes, bad),
                Err(AttestationError::WrongPublicInputCount {
                    got: bad.len(),
                    expected: PUBLIC_INPUTS
                })
            );
        }
    }

    #[test]
    fn secret_not_in_tree_cannot_prove_membership() {
        let f = fixture();
        let mut rng = StdRng::seed_from_u64(3);
        let outsider = IdentitySecret::random(&mut rng);
        let path = f.tree.path(3).unwrap();
        // The path leads from the outsider's commitment to some other root ...
        let (proof, public) = prove(
            &keys().0,
            &outsider,
            &path,
            CAMPAIGN,
            &DIGEST,
            note_key(),
            Tier::Open,
            &mut rng,
        )
        .unwrap();
        assert_ne!(public.root, f.tree.root());
        // ... so against the registry's root the proof fails.
        let claimed = PublicInputs {
            root: f.tree.root(),
            ..public
        };
        assert_eq!(
            verify(&keys().1, &proof, &claimed),
            Err(AttestationError::InvalidProof)
        );
        // And a witness that does not satisfy the circuit never reaches the prover.
        let (mut circuit, _) =
            AttestationCircuit::new(&outsider, &path, CAMPAIGN, &DIGEST, note_key(), Tier::Open)
                .unwrap();
        circuit.root = f.tree.root();
        assert!(!is_satisfied(circuit).unwrap());
        // Malformed paths are refused.
        let mut short = path.clone();
        short.siblings.pop();
        assert!(matches!(
            prove(
                &keys().0,
                &f.secret,
                &short,
                CAMPAIGN,
                &DIGEST,
                note_key(),
                Tier::Open,
                &mut rng
            ),
            Err(AttestationError::MalformedPath { .. })
        ));
    }

    #[test]
    fn proof_bytes_round_trip_and_are_strict() {
        let f = fixture();
        let bytes = f.proof.to_bytes();
        assert_eq!(Proof::from_bytes(&bytes).unwrap(), f.proof);
        assert!(matches!(
            Proof::from_bytes(&bytes[..PROOF_BYTES - 1]),
            Err(AttestationError::MalformedProof(_))
        ));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            Proof::from_bytes(&long),
            Err(AttestationError::MalformedProof(_))
        ));
        assert!(Proof::from_bytes(&[0xff; PROOF_BYTES]).is_err());
        assert!(Proof::from_bytes(&[]).is_err());
    }

    #[test]
    fn keys_round_trip_and_are_strict() {
        let (pk, vk) = keys();
        let vk_bytes = vk.to_bytes();
        assert_eq!(VerifyingKey::from_bytes(&vk_bytes).unwrap(), *vk);
        let pk_bytes = pk.to_bytes();
        let start = Instant::now();
        let pk2 = ProvingKey::from_bytes(&pk_bytes).unwrap();
        println!(
            "proving key: {} bytes, checked decode {:?}; verifying key: {} bytes",
            pk_bytes.len(),
            start.elapsed(),
            vk_bytes.len()
        );
        assert_eq!(pk2.to_bytes(), pk_bytes);
        let trusted_bytes = pk.to_trusted_bytes();
        let start = Instant::now();
        let trusted = ProvingKey::from_trusted_bytes(&trusted_bytes).unwrap();
        println!(
            "trusted form: {} bytes, decode {:?}",
            trusted_bytes.len(),
            start.elapsed()
        );
        assert_eq!(trusted.to_bytes(), pk_bytes);
        let n = trusted_bytes.len();
        assert!(ProvingKey::from_trusted_bytes(&trusted_bytes[..n - 1]).is_err());
        assert!(ProvingKey::from_trusted_bytes(&[&trusted_bytes[..], &[0]].concat()).is_err());
        // Only the trusted form reads back as such.
        assert!(ProvingKey::from_trusted_bytes(&pk_bytes).is_err());

        for bad in [&vk_bytes[..vk_bytes.len() - 1], &vk_bytes[..10], &[][..]] {
            assert!(matches!(
                VerifyingKey::from_bytes(bad),
                Err(AttestationError::MalformedKey(_))
            ));
        }
        let mut long = vk_bytes.clone();
        long.push(0);
        assert!(matches!(
            VerifyingKey::from_bytes(&long),
            Err(AttestationError::MalformedKey(_))
        ));
        let mut long = pk_bytes.clone();
        long.push(0);
        assert!(matches!(
            ProvingKey::from_bytes(&long),
            Err(AttestationError::MalformedKey(_))
        ));
        assert!(matches!(
            ProvingKey::from_bytes(&pk_bytes[..pk_bytes.len() - 1]),
            Err(AttestationError::MalformedKey(_))
        ));
        // A corrupted G2 point (beta, bytes 32..96) is off the curve or outside the
        // prime-order subgroup, and the checked decoder refuses it.
        for i in [32, 40, 70] {
            let mut corrupt = vk_bytes.clone();
            corrupt[i] ^= 0x04;
            assert!(matches!(
                VerifyingKey::from_bytes(&corrupt),
                Err(AttestationError::MalformedKey(_))
            ));
        }
    }

    #[test]
    fn verifying_key_of_another_shape_is_refused() {
        let (_, vk) = keys();
        let mut other = vk.vk.clone();
        other.gamma_abc_g1.pop();
        assert!(matches!(
            VerifyingKey::from_bytes(&encode(&other)),
            Err(AttestationError::MalformedKey(_))
        ));
    }
}
