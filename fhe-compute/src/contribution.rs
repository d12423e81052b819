//! One contribution: a record encrypted as a *proven* compact ciphertext
//! list (each entry provably within its width, tfhe zk-pok), and the
//! server-side check of such a list from untrusted bytes.

use protocol::record::EncodedRecord;
use sha2::{Digest, Sha256};
use tfhe::integer::ciphertext::IntegerProvenCompactCiphertextListConformanceParams;

use tfhe::safe_serialization::safe_deserialize_conformant;
use tfhe::zk::{CompactPkeCrs, ZkComputeLoad, ZkVerificationOutcome};
use tfhe::{CompactPublicKey, FheTypes, ProvenCompactCiphertextList};

use crate::keys::{public_key_params, to_bytes, FheError};

/// Why a submitted ciphertext list was refused.
#[derive(Debug, thiserror::Error)]
pub enum ContributionError {
    /// More bytes than a list for this schema can take.
    #[error("the ciphertext is {got} bytes; at most {max} are accepted for this campaign")]
    TooLarge {
        /// Bytes received.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// The bytes are not a proven list under the campaign's parameters
    /// (truncated, corrupted, another parameter set or CRS).
    #[error("the ciphertext is not a valid proven list for this campaign: {0}")]
    Malformed(String),
    /// The list's entries do not match the campaign's schema.
    #[error("the ciphertext list does not match the campaign schema: {0}")]
    LayoutMismatch(String),
    /// The zk-pok proof does not verify against the campaign key, CRS and metadata.
    #[error("the zero-knowledge proof of the ciphertext does not verify")]
    ProofInvalid,
}

fn kind_of_bits(bits: u32) -> Option<FheTypes> {
    match bits {
        2 => Some(FheTypes::Uint2),
        8 => Some(FheTypes::Uint8),
        16 => Some(FheTypes::Uint16),
        32 => Some(FheTypes::Uint32),
        _ => None,
    }
}

/// Encrypts an encoded record under the campaign's compact public key with a
/// zk-pok proof bound to `metadata`, and serializes it. The proof is computed
/// with `ZkComputeLoad::Proof` (heavier for the client, cheaper to verify).
/// Under a campaign CRS ([`crate::keys::proves_blocks`]) the list is
/// unpacked, one 2-bit block per LWE, each proven below 4; under an older
/// CRS, packed (two blocks per LWE, tfhe's stock form).
pub fn encrypt_record(
    record: &EncodedRecord,
    public_key: &CompactPublicKey,
    crs: &CompactPkeCrs,
    metadata: &[u8],
) -> Result<Vec<u8>, FheError> {
    let list = if crate::keys::proves_blocks(crs) {
        // tfhe's high-level builder only builds packed proven lists: the
        // integer-level one builds the unpacked list, which is wrapped back
        // into the high-level form (its serde form is the integer list and
        // the key's tag).
        let (pk, tag) = public_key.clone().into_raw_parts();
        let mut builder = tfhe::integer::ciphertext::CompactCiphertextListBuilder::new(&pk);
        for e in &record.entries {
            let blocks = e.bits.div_ceil(2) as usize;
            if e.bits == 0 || (e.bits < 64 && e.value >> e.bits != 0) {
                return Err(FheError::Tfhe(format!(
                    "the value {} does not fit {} bits",
                    e.value, e.bits
                )));
            }
            builder.push_with_num_blocks(e.value, blocks);
        }
        let inner = builder.build_with_proof(crs, metadata, ZkComputeLoad::Proof)?;
        high_level_list(inner, tag).map_err(|detail| FheError::Serialization {
            what: "ciphertext list",
            detail,
        })?
    } else {
        let mut builder = ProvenCompactCiphertextList::builder(public_key);
        for e in &record.entries {
            builder.push_with_num_bits(e.value, e.bits as usize)?;
        }
        builder.build_with_proof_packed(crs, metadata, ZkComputeLoad::Proof)?
    };
    to_bytes(
        &list,
        max_list_bytes(record.entries.len()) as u64,
        "ciphertext list",
    )
}

/// The plain serde form of a high-level proven list.
#[derive(serde::Serialize, serde::Deserialize)]
struct PlainList {
    inner: tfhe::integer::ciphertext::ProvenCompactCiphertextList,
    tag: tfhe::Tag,
}

/// An integer-level proven list as a high-level one (see [`integer_list`]).
fn high_level_list(
    inner: tfhe::integer::ciphertext::ProvenCompactCiphertextList,
    tag: tfhe::Tag,
) -> Result<ProvenCompactCiphertextList, String> {
    let plain =
        bincode::serialize(&PlainList { inner, tag }).map_err(|e| format!("encode: {e}"))?;
    bincode::deserialize(&plain).map_err(|e| format!("decode: {e}"))
}

/// Upper bound on the serialized size of a proven list of `entries` entries
/// (measured: ~19 KB for 8 × u16; generous margin, still bounded).
pub fn max_list_bytes(entries: usize) -> usize {
    64 * 1024 + entries * 16 * 1024
}

/// Checks untrusted bytes: size cap, bounded conformance-checked
/// deserialization against the campaign parameters and CRS, canonical
/// encoding (the bytes are exactly what serializing the list gives, so one
/// list has one digest), the entry layout of the schema, then the zk-pok
/// proof against the campaign key, CRS and metadata. Returns the SHA-256
/// digest of the bytes as received.
pub fn verify_contribution(
    bytes: &[u8],
    layout: &[u32],
    public_key: &CompactPublicKey,
    crs: &CompactPkeCrs,
    metadata: &[u8],
) -> Result<[u8; 32], ContributionError> {
    verify_contribution_using(
        ZkVerifier::Batched,
        bytes,
        layout,
        public_key,
        crs,
        metadata,
    )
}

/// How the zk-pok proofs are checked (the same check; only the speed
/// differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZkVerifier {
    /// tfhe's `verify`: two pairing equations, in tfhe's own thread pools.
    Tfhe,
    /// The same check with the pairings batched into one, on the calling
    /// thread's rayon pool (what [`verify_contribution`] uses).
    Batched,
}

/// [`verify_contribution`] with the zk-pok checked by `verifier` (the
/// benchmarks compare the two).
pub fn verify_contribution_using(
    verifier: ZkVerifier,
    bytes: &[u8],
    layout: &[u32],
    public_key: &CompactPublicKey,
    crs: &CompactPkeCrs,
    metadata: &[u8],
) -> Result<[u8; 32], ContributionError> {
    let max = max_list_bytes(layout.len());
    if bytes.len() > max {
        return Err(ContributionError::TooLarge {
            got: bytes.len(),
            max,
        });
    }
    let blockwise = crate::keys::proves_blocks(crs);
    let params = IntegerProvenCompactCiphertextListConformanceParams::from_crs_and_parameters(
        public_key_params(),
        crs,
    );
    let params = if blockwise {
        params.allow_unpacked()
    } else {
        params
    };
    let list: ProvenCompactCiphertextList = safe_deserialize_conformant(bytes, max as u64, &params)
        .map_err(ContributionError::Malformed)?;
    let canonical = to_bytes(&list, max as u64, "ciphertext list")
        .map_err(|e| ContributionError::Malformed(e.to_string()))?;
    if canonical != bytes {
        return Err(ContributionError::Malformed(
            "the list is not canonically encoded".into(),
        ));
    }
    if list.len() != layout.len() {
        return Err(ContributionError::LayoutMismatch(format!(
            "{} entries, the schema needs {}",
            list.len(),
            layout.len()
        )));
    }
    for (i, bits) in layout.iter().enumerate() {
        let expected = kind_of_bits(*bits).ok_or_else(|| {
            ContributionError::LayoutMismatch(format!("unsupported width {bits}"))
        })?;
        match list.get_kind_of(i) {
            Some(k) if k == expected => {}
            other => {
                return Err(ContributionError::LayoutMismatch(format!(
                    "entry {i} is {other:?}, the schema needs {expected:?}"
                )))
            }
        }
    }
    // Under a campaign CRS every part of the list is unpacked (each LWE one
    // block, proven below 4, which the engine's sums before the cast rely
    // on); under an older CRS, packed (tfhe's conformance already refuses
    // unpacked lists there).
    let inner = integer_list(&list).map_err(ContributionError::Malformed)?;
    let msg = public_key_params().message_modulus.0;
    let packed_degree = if blockwise { msg - 1 } else { msg * msg - 1 };
    for (ct, _) in inner.clone().into_raw_parts().0.into_raw_parts() {
        let (_, degree, ..) = ct.into_raw_parts();
        if degree.get() != packed_degree {
            return Err(ContributionError::LayoutMismatch(if blockwise {
                "the list must hold one block per ciphertext (unpacked) for this campaign".into()
            } else {
                "the list must be packed for this campaign".into()
            }));
        }
    }
    let valid = match verifier {
        ZkVerifier::Tfhe => list.verify(crs, public_key, metadata) == ZkVerificationOutcome::Valid,
        ZkVerifier::Batched => proofs_valid(inner, crs, public_key, metadata),
    };
    if valid {
        Ok(Sha256::digest(bytes).into())
    } else {
        Err(ContributionError::ProofInvalid)
    }
}

/// The integer-level list inside a high-level one. The high-level type does
/// not expose its parts; its plain serde form is the integer-level list and
/// a tag, so the parts are read back from that form (a copy of a few KB).
pub(crate) fn integer_list(
    list: &ProvenCompactCiphertextList,
) -> Result<tfhe::integer::ciphertext::ProvenCompactCiphertextList, String> {
    let plain = bincode::serialize(list).map_err(|e| format!("re-encode: {e}"))?;
    let PlainList { inner, .. } =
        bincode::deserialize(&plain).map_err(|e| format!("re-decode: {e}"))?;
    Ok(inner)
}

/// Whether every zk-pok proof of the list is valid: tfhe's own check
/// (`CompactPkeCrs::verify`: the proof against the public key's and the
/// ciphertexts' masks and bodies, the CRS and the metadata), with the
/// pairings batched into one check (tfhe-zk-pok's `Batched` mode, eq. 52 of
/// the scheme: a random linear combination of the two pairing equations,
/// which the verifier chooses and which only changes how fast it runs) and
/// each proof checked inside the caller's rayon pool instead of tfhe's
/// dedicated verification pools.
fn proofs_valid(
    list: tfhe::integer::ciphertext::ProvenCompactCiphertextList,
    crs: &CompactPkeCrs,
    public_key: &CompactPublicKey,
    metadata: &[u8],
) -> bool {
    use tfhe::zk::CompactPkeProof;
    use tfhe_zk_pok::proofs::pke_v2::{verify_impl, PublicCommit, VerificationPairingMode};
    let CompactPkeCrs::PkeV2(params) = crs else {
        // Campaign CRSs are v2; anything else takes tfhe's own path.
        return list.verify(crs, &public_key.clone().into_raw_parts().0, metadata)
            == ZkVerificationOutcome::Valid;
    };
    let (key, _) = public_key
        .clone()
        .into_raw_parts()
        .0
        .into_raw_parts()
        .into_raw_parts();
    let signed = |v: &[u64]| -> Vec<i64> { v.iter().map(|x| *x as i64).collect() };
    let key_mask = signed(key.get_mask().as_ref());
    let key_body = signed(key.get_body().as_ref());
    let (proven, _) = list.into_raw_parts();
    let proven = proven.into_raw_parts();
    !proven.is_empty()
        && proven.into_iter().all(|(ct, proof)| {
            let CompactPkeProof::PkeV2(proof) = proof else {
                return false;
            };
            let (ct_list, ..) = ct.into_raw_parts();
            let commit = PublicCommit::new(
                key_mask.clone(),
                key_body.clone(),
                signed(ct_list.get_mask_list().as_ref()),
                signed(ct_list.get_body_list().as_ref()),
            );
            verify_impl(
                &proof,
                (params, &commit),
                metadata,
                VerificationPairingMode::Batched,
            )
            .is_ok()
        })
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use protocol::record::{encode, layout};
    use protocol::CampaignSchema;
    use serde_json::json;
    use tfhe::prelude::*;
    use tfhe::{FheUint16, FheUint2, FheUint8};

    use super::*;
    use crate::keys::{proof_metadata, CampaignKeys};

    fn schema() -> CampaignSchema {
        CampaignSchema::from_json(
            r#"{"fields": [
                {"type": "numeric", "name": "age", "bits": 8},
                {"type": "numeric", "name": "steps", "bits": 16},
                {"type": "categorical", "name": "region", "categories": ["n", "s", "e"]}]}"#,
        )
        .unwrap()
    }

    fn keys() -> &'static CampaignKeys {
        static KEYS: OnceLock<CampaignKeys> = OnceLock::new();
        KEYS.get_or_init(|| CampaignKeys::generate(&schema()).unwrap())
    }

    fn material() -> (CompactPublicKey, CompactPkeCrs, [u8; 32]) {
        let m = keys().public_material().unwrap();
        (
            m.public_key().unwrap(),
            m.crs().unwrap(),
            m.key_fingerprint(),
        )
    }

    #[test]
    fn encrypt_verify_and_decrypt_round_trip() {
        let s = schema();
        let (pk, crs, fp) = material();
        let meta = proof_metadata(7, 1, &fp);
        let rec = encode(&s, &json!({"age": 42, "steps": 12345, "region": "e"})).unwrap();
        let bytes = encrypt_record(&rec, &pk, &crs, &meta).unwrap();
        let digest = verify_contribution(&bytes, &layout(&s), &pk, &crs, &meta).unwrap();
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(&bytes)));

        // The keyholder's client key decrypts what the contributor encrypted.
        let k = keys();
        let params = IntegerProvenCompactCiphertextListConformanceParams::from_crs_and_parameters(
            public_key_params(),
            &crs,
        );
        // Unpacked (one block per LWE, each proven below 4): tfhe's
        // default conformance refuses it.
        assert!(crate::keys::proves_blocks(&crs));
        assert!(safe_deserialize_conformant::<ProvenCompactCiphertextList>(
            bytes.as_slice(),
            1 << 24,
            &params
        )
        .is_err());
        let list: ProvenCompactCiphertextList =
            safe_deserialize_conformant(bytes.as_slice(), 1 << 24, &params.allow_unpacked())
                .unwrap();
        let sks = k.server_key.decompress();
        tfhe::set_server_key(sks);
        let exp = list.verify_and_expand(&crs, &pk, &meta).unwrap();
        let age: FheUint8 = exp.get(0).unwrap().unwrap();
        let steps: FheUint16 = exp.get(1).unwrap().unwrap();
        let onehot: Vec<u8> = (2..5)
            .map(|i| {
                let b: FheUint2 = exp.get(i).unwrap().unwrap();
                b.decrypt(&k.client_key)
            })
            .collect();
        let age: u8 = age.decrypt(&k.client_key);
        let steps: u16 = steps.decrypt(&k.client_key);
        assert_eq!((age, steps), (42, 12345));
        assert_eq!(onehot, vec![0, 0, 1]);
    }

    /// One honest record encrypted for campaign 7 and what checking it needs.
    struct Sample {
        s: CampaignSchema,
        pk: CompactPublicKey,
        crs: CompactPkeCrs,
        fp: [u8; 32],
        meta: Vec<u8>,
        rec: protocol::record::EncodedRecord,
        bytes: Vec<u8>,
        lay: Vec<u32>,
    }

    fn sample() -> Sample {
        let s = schema();
        let (pk, crs, fp) = material();
        let meta = proof_metadata(7, 1, &fp);
        let rec = encode(&s, &json!({"age": 42, "steps": 12345, "region": "e"})).unwrap();
        let bytes = encrypt_record(&rec, &pk, &crs, &meta).unwrap();
        let lay = layout(&s);
        Sample {
            s,
            pk,
            crs,
            fp,
            meta,
            rec,
            bytes,
            lay,
        }
    }

    #[test]
    fn refuses_bad_lists() {
        let Sample {
            s,
            pk,
            crs,
            fp,
            meta,
            rec,
            bytes,
            lay,
        } = sample();

        // Other metadata (another campaign / schema version): proof fails.
        let other = proof_metadata(8, 1, &fp);
        assert!(matches!(
            verify_contribution(&bytes, &lay, &pk, &crs, &other),
            Err(ContributionError::ProofInvalid)
        ));
        // Truncated bytes.
        assert!(matches!(
            verify_contribution(&bytes[..bytes.len() / 2], &lay, &pk, &crs, &meta),
            Err(ContributionError::Malformed(_))
        ));
        // Oversized bytes.
        let huge = vec![0u8; max_list_bytes(lay.len()) + 1];
        assert!(matches!(
            verify_contribution(&huge, &lay, &pk, &crs, &meta),
            Err(ContributionError::TooLarge { .. })
        ));
        // Flipped bytes in the body: either not conformant or the proof fails.
        let mut tampered = bytes.clone();
        let mid = tampered.len() - 200;
        tampered[mid] ^= 0x5a;
        assert!(verify_contribution(&tampered, &lay, &pk, &crs, &meta).is_err());
        // A value declared wider than its field (32 bits where 16 are allowed).
        let mut wide = rec.clone();
        wide.entries[1].bits = 32;
        wide.entries[1].value = 70_000;
        let wide_bytes = encrypt_record(&wide, &pk, &crs, &meta).unwrap();
        assert!(matches!(
            verify_contribution(&wide_bytes, &lay, &pk, &crs, &meta),
            Err(ContributionError::LayoutMismatch(_))
        ));
        // Encrypted under another campaign's key: proof fails (or the list is not conformant).
        let other_keys = CampaignKeys::generate(&s).unwrap();
        let om = other_keys.public_material().unwrap();
        let (opk, ocrs) = (om.public_key().unwrap(), om.crs().unwrap());
        let foreign = encrypt_record(&rec, &opk, &ocrs, &meta).unwrap();
        assert!(verify_contribution(&foreign, &lay, &pk, &crs, &meta).is_err());
    }

    /// The batched verifier accepts exactly what tfhe's own accepts: the
    /// valid list, and neither other metadata nor bodies edited at many
    /// places (each edit refused the same way by both, or decided the same
    /// way by both).
    #[test]
    fn the_batched_verifier_agrees_with_tfhe() {
        let Sample {
            pk,
            crs,
            fp,
            meta,
            bytes,
            lay,
            ..
        } = sample();
        let outcome = |v: ZkVerifier, b: &[u8], m: &[u8]| match verify_contribution_using(
            v, b, &lay, &pk, &crs, m,
        ) {
            Ok(_) => "valid".to_string(),
            Err(ContributionError::ProofInvalid) => "invalid".to_string(),
            Err(e) => format!("refused: {e}"),
        };
        let both = |b: &[u8], m: &[u8]| {
            (
                outcome(ZkVerifier::Tfhe, b, m),
                outcome(ZkVerifier::Batched, b, m),
            )
        };
        assert_eq!(both(&bytes, &meta), ("valid".into(), "valid".into()));
        let other = proof_metadata(8, 1, &fp);
        assert_eq!(both(&bytes, &other), ("invalid".into(), "invalid".into()));
        let mut decided = 0;
        for i in 0..24 {
            let mut tampered = bytes.clone();
            let at = 64 + (tampered.len() - 128) * i / 24;
            tampered[at] ^= 0x01;
            let (t, b) = both(&tampered, &meta);
            assert_eq!(t, b, "edit at byte {at}");
            decided += usize::from(t == "invalid");
        }
        assert!(decided > 0, "some edits reach the proof check");
    }

    /// A modified client's list under a campaign CRS, built with tfhe's own
    /// prover from the record's blocks with `tamper` applied; the list
    /// claims whatever `degree` says.
    fn tampered(tamper: impl Fn(&mut Vec<u64>), degree: u64) -> (Vec<u8>, Sample) {
        use tfhe::integer::ciphertext::DataKind;
        use tfhe::shortint::ciphertext::{CompactCiphertextList, Degree};
        use tfhe::zk::CompactPkeProof;
        let sample = sample();
        let honest: ProvenCompactCiphertextList =
            tfhe::safe_serialization::safe_deserialize(sample.bytes.as_slice(), 1 << 24).unwrap();
        let (_, info) = integer_list(&honest).unwrap().into_raw_parts();
        let mut blocks: Vec<u64> = sample
            .rec
            .entries
            .iter()
            .flat_map(|e| (0..e.bits.div_ceil(2)).map(move |i| (e.value >> (2 * i)) & 3))
            .collect();
        tamper(&mut blocks);
        let (ipk, tag) = sample.pk.clone().into_raw_parts();
        let proven = ipk
            .into_raw_parts()
            .encrypt_and_prove_slice(&blocks, &sample.crs, &sample.meta, ZkComputeLoad::Proof, 16)
            .unwrap();
        #[derive(serde::Serialize)]
        struct Shortint {
            proved_lists: Vec<(CompactCiphertextList, CompactPkeProof)>,
        }
        #[derive(serde::Serialize)]
        struct Integer {
            ct_list: Shortint,
            info: Vec<DataKind>,
        }
        let proved_lists = proven
            .into_raw_parts()
            .into_iter()
            .map(|(ct, proof)| {
                let (list, _, m, c, kind) = ct.into_raw_parts();
                (
                    CompactCiphertextList::from_raw_parts(list, Degree::new(degree), m, c, kind),
                    proof,
                )
            })
            .collect();
        let inner = Integer {
            ct_list: Shortint { proved_lists },
            info,
        };
        let inner: tfhe::integer::ciphertext::ProvenCompactCiphertextList =
            bincode::deserialize(&bincode::serialize(&inner).unwrap()).unwrap();
        let list = high_level_list(inner, tag).unwrap();
        (to_bytes(&list, 1 << 24, "list").unwrap(), sample)
    }

    /// What the engine's sums before the cast rest on: under a campaign CRS
    /// a block above 3 is refused. A modified client encrypting 5, 8 or
    /// 15 in one LWE (claiming one block per LWE) gets no valid proof from
    /// tfhe's prover; the same path with every block in range verifies,
    /// and a list claiming the packed form is refused.
    #[test]
    fn a_block_above_3_is_refused_under_a_campaign_crs() {
        let (ok, sample) = tampered(|b| b[0] = 3, 3);
        let layout = sample.lay.clone();
        verify_contribution(&ok, &layout, &sample.pk, &sample.crs, &sample.meta).unwrap();
        for v in [5u64, 8, 15] {
            let (bad, sample) = tampered(|b| b[1] = v, 3);
            assert!(
                matches!(
                    verify_contribution(&bad, &layout, &sample.pk, &sample.crs, &sample.meta),
                    Err(ContributionError::ProofInvalid)
                ),
                "a block of {v}"
            );
        }
        let (packed, sample) = tampered(|_| {}, 15);
        assert!(matches!(
            verify_contribution(&packed, &layout, &sample.pk, &sample.crs, &sample.meta),
            Err(ContributionError::Malformed(_) | ContributionError::LayoutMismatch(_))
        ));
    }
}
