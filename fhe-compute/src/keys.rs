//! Campaign key material: the parameter set, key generation (keyholder only,
//! feature `keyholder`) and size-limited (de)serialization.

use protocol::CampaignSchema;
use sha2::{Digest, Sha256};
use tfhe::safe_serialization::{safe_deserialize, safe_deserialize_conformant, safe_serialize};
use tfhe::shortint::parameters::{
    CompactPublicKeyEncryptionParameters,
    PARAM_KEYSWITCH_TO_SMALL_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
    PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
    PARAM_PKE_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
};
use tfhe::zk::CompactPkeCrs;
#[cfg(feature = "keyholder")]
use tfhe::{ClientKey, CompressedServerKey};
use tfhe::{CompactPublicKey, Config, ConfigBuilder};

/// Largest serialized compact public key accepted (they are ~33 KB).
pub const PUBLIC_KEY_LIMIT: u64 = 1 << 20;
/// Largest serialized CRS accepted (3.1 MB for 128 bits; up to ~40 MB for the largest schemas).
pub const CRS_LIMIT: u64 = 1 << 27;
/// Largest serialized server key accepted.
pub const SERVER_KEY_LIMIT: u64 = 1 << 30;
/// Largest serialized client key accepted.
pub const CLIENT_KEY_LIMIT: u64 = 1 << 26;
/// Smallest capacity, in LWEs, of a CRS proving every block below 4.
#[cfg(feature = "keyholder")]
const MIN_CRS_BLOCKS: usize = 32;
/// Top bits of a message (the padding bit and the two carry bits) that a
/// campaign CRS proves to be 0 ([`campaign_crs`]): with tfhe's plaintext
/// modulus of 32 (padding, carry, message), every LWE holds a value below 4.
pub const BLOCK_PROOF_ZERO_BITS: u64 = 3;

/// A failure of the TFHE layer.
#[derive(Debug, thiserror::Error)]
pub enum FheError {
    /// tfhe refused an operation.
    #[error("tfhe: {0}")]
    Tfhe(String),
    /// Bytes could not be (de)serialized within the limits.
    #[error("serialization of {what}: {detail}")]
    Serialization {
        /// What was being (de)serialized.
        what: &'static str,
        /// Why it failed.
        detail: String,
    },
}

impl From<tfhe::Error> for FheError {
    fn from(e: tfhe::Error) -> Self {
        Self::Tfhe(e.to_string())
    }
}

/// The compute parameters: 2-bit messages, 2-bit carries, KS-PBS,
/// TUniform noise, failure probability 2⁻¹²⁸.
pub fn config() -> Config {
    ConfigBuilder::with_custom_parameters(PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128)
        .use_dedicated_compact_public_key_parameters((
            PARAM_PKE_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
            PARAM_KEYSWITCH_TO_SMALL_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128,
        ))
        .build()
}

/// Pins tfhe's 64-bit FFT plan for the compute polynomial size to one
/// algorithm (radix-4 decimation in frequency), once per process.
///
/// tfhe otherwise picks the fastest algorithm by timing each candidate when
/// a process first needs the plan, and algorithms round differently: two
/// processes computing the same PBS on the same bytes could produce
/// ciphertexts that differ in their noise. With the plan pinned, the same
/// inputs give the same bytes in every process on the same CPU family
/// (workers, keyholders), which is what lets a keyholder verify a job's
/// aggregate by byte equality (and every keyholder decrypt the very same
/// ciphertext). Every backend constructor calls this before evaluating.
pub fn pin_fft_plan() {
    use tfhe::core_crypto::fft_impl::fft64::math::fft::{
        setup_custom_fft_plan, FftAlgo, Method, Plan,
    };
    static PINNED: std::sync::Once = std::sync::Once::new();
    PINNED.call_once(|| {
        let n = compute_params()
            .polynomial_size()
            .to_fourier_polynomial_size()
            .0;
        setup_custom_fft_plan(Plan::new(
            n,
            Method::UserProvided {
                base_algo: FftAlgo::Dif4,
                base_n: n,
            },
        ));
    });
}

/// The compute (evaluation) parameters of the campaign keys.
pub fn compute_params() -> tfhe::shortint::AtomicPatternParameters {
    PARAM_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128.into()
}

/// The compact public-key encryption parameters clients encrypt under.
pub fn public_key_params() -> CompactPublicKeyEncryptionParameters {
    PARAM_PKE_MESSAGE_2_CARRY_2_KS_PBS_TUNIFORM_2M128
}

/// Number of 2-bit blocks (LWEs of an unpacked list) of one record of `schema`.
pub fn record_blocks(schema: &CampaignSchema) -> usize {
    protocol::record::layout(schema)
        .iter()
        .map(|b| b.div_ceil(2) as usize)
        .sum()
}

/// A campaign's CRS: tfhe zk-pok (v2) public parameters for lists of one
/// record's blocks under the public-key parameters, with the message of
/// every LWE proven below 4 — the padding bit *and* both carry bits proven
/// 0 (`msbs_zero_padding_bit_count` = 3 where tfhe's stock CRS proves the
/// padding bit only). Clients therefore encrypt one 2-bit block per LWE
/// (an unpacked list; tfhe's stock packing puts two blocks, a value below
/// 16, in each), and the statistics engine may add the LWEs of up to five
/// records *before* casting them (a sum of five values below 4 stays
/// below 16: see `stats::expand`). The statement proven costs the same as
/// the packed one: tfhe-zk-pok decomposes each message into log₂(32 / 2³)
/// = 2 bits (against 4 for a packed LWE), for twice the LWEs. Secret
/// randomness from the operating system; the keyholder that generates it
/// forgets it (the CRS is then public).
#[cfg(feature = "keyholder")]
pub fn campaign_crs(schema: &CampaignSchema) -> Result<CompactPkeCrs, FheError> {
    let p = public_key_params();
    let blocks = record_blocks(schema)
        .max(MIN_CRS_BLOCKS)
        .min(p.encryption_lwe_dimension.0);
    let plaintext_modulus = p.message_modulus.0 * p.carry_modulus.0 * 2;
    let crs = CompactPkeCrs::new(
        p.encryption_lwe_dimension,
        tfhe::core_crypto::prelude::LweCiphertextCount(blocks),
        p.encryption_noise_distribution,
        p.ciphertext_modulus,
        plaintext_modulus,
        tfhe::zk::ZkMSBZeroPaddingBitCount(BLOCK_PROOF_ZERO_BITS),
        &mut rand::rngs::OsRng,
    )?;
    Ok(crs)
}

/// Whether a CRS proves every LWE of a list below the message modulus (4):
/// a campaign CRS from [`campaign_crs`]. Lists under such a CRS are
/// unpacked (one block per LWE); under any other (older campaigns, tfhe's
/// stock CRS proving the padding bit only) they are packed.
pub fn proves_blocks(crs: &CompactPkeCrs) -> bool {
    let p = public_key_params();
    match crs {
        CompactPkeCrs::PkeV2(params) => {
            params.t == p.message_modulus.0 * p.carry_modulus.0 * 2
                && params.msbs_zero_padding_bit_count == BLOCK_PROOF_ZERO_BITS
        }
        CompactPkeCrs::PkeV1(_) => false,
    }
}

/// Everything the keyholder generates for one campaign.
#[cfg(feature = "keyholder")]
pub struct CampaignKeys {
    /// Decryption key: never leaves the keyholder.
    pub client_key: ClientKey,
    /// Evaluation key (compressed) for the server and workers.
    pub server_key: CompressedServerKey,
    /// Contributors encrypt under this.
    pub public_key: CompactPublicKey,
    /// Public parameters of the zk-pok proofs, sized for the schema.
    pub crs: CompactPkeCrs,
}

#[cfg(feature = "keyholder")]
impl CampaignKeys {
    /// Generates fresh keys and a CRS for `schema` (seconds of CPU).
    pub fn generate(schema: &CampaignSchema) -> Result<Self, FheError> {
        let config = config();
        let client_key = ClientKey::generate(config);
        let server_key = CompressedServerKey::new(&client_key);
        let public_key = CompactPublicKey::try_new(&client_key)?;
        let crs = campaign_crs(schema)?;
        Ok(Self {
            client_key,
            server_key,
            public_key,
            crs,
        })
    }

    /// The public part, for the server and contributors.
    pub fn public_material(&self) -> Result<PublicMaterial, FheError> {
        Ok(PublicMaterial {
            public_key: to_bytes(&self.public_key, PUBLIC_KEY_LIMIT, "public key")?,
            crs: to_bytes(&self.crs, CRS_LIMIT, "crs")?,
        })
    }

    /// The serialized evaluation key.
    pub fn server_key_bytes(&self) -> Result<Vec<u8>, FheError> {
        to_bytes(&self.server_key, SERVER_KEY_LIMIT, "server key")
    }

    /// The serialized client key (to be encrypted at rest by the caller).
    pub fn client_key_bytes(&self) -> Result<Vec<u8>, FheError> {
        to_bytes(&self.client_key, CLIENT_KEY_LIMIT, "client key")
    }
}

/// The serialized public key material of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicMaterial {
    /// `CompactPublicKey`, tfhe safe serialization.
    pub public_key: Vec<u8>,
    /// `CompactPkeCrs`, tfhe safe serialization.
    pub crs: Vec<u8>,
}

impl PublicMaterial {
    /// SHA-256 of the public key bytes: binds proofs to this campaign key.
    pub fn key_fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.public_key).into()
    }

    /// Parses the public key, checking it conforms to the campaign parameters.
    pub fn public_key(&self) -> Result<CompactPublicKey, FheError> {
        safe_deserialize_conformant(
            self.public_key.as_slice(),
            PUBLIC_KEY_LIMIT,
            &public_key_params(),
        )
        .map_err(|detail| FheError::Serialization {
            what: "public key",
            detail,
        })
    }

    /// Parses the CRS.
    pub fn crs(&self) -> Result<CompactPkeCrs, FheError> {
        safe_deserialize(self.crs.as_slice(), CRS_LIMIT).map_err(|detail| FheError::Serialization {
            what: "crs",
            detail,
        })
    }
}

/// Serializes a tfhe object with tfhe's versioned, size-limited format.
pub fn to_bytes<T>(obj: &T, limit: u64, what: &'static str) -> Result<Vec<u8>, FheError>
where
    T: serde::Serialize + tfhe::Versionize + tfhe::named::Named,
{
    let mut out = Vec::new();
    safe_serialize(obj, &mut out, limit).map_err(|e| FheError::Serialization {
        what,
        detail: e.to_string(),
    })?;
    Ok(out)
}

/// Deserializes a tfhe object from trusted storage, size-limited.
pub fn from_bytes<T>(bytes: &[u8], limit: u64, what: &'static str) -> Result<T, FheError>
where
    T: serde::de::DeserializeOwned + tfhe::Unversionize + tfhe::named::Named,
{
    safe_deserialize(bytes, limit).map_err(|detail| FheError::Serialization { what, detail })
}

/// The zk-pok metadata a contribution's proof binds to: a domain tag, the
/// campaign id, the schema version and the campaign key's fingerprint.
pub fn proof_metadata(
    campaign_id: u64,
    schema_version: u32,
    key_fingerprint: &[u8; 32],
) -> Vec<u8> {
    let mut m = b"cipherpool/contribution/v1".to_vec();
    m.extend_from_slice(&campaign_id.to_be_bytes());
    m.extend_from_slice(&schema_version.to_be_bytes());
    m.extend_from_slice(key_fingerprint);
    m
}
