//! The one-shot dealer (`cipherpool-keyholder deal`): generates a key set
//! and writes one bundle per keyholder, then exits. The compute secret key
//! and the whole decryption secret exist only inside this process; what it
//! writes is public material and one share per bundle.
//!
//! It also runs the Groth16 setups of the contributor attestation circuit
//! (`attestation_v3_pk.bin`, `attestation_v3_vk.bin`) and of the
//! reward-note claim circuit (`claim_v1_pk.bin`, `claim_v1_vk.bin`): the
//! keyholders check every contribution's attestation with that verifying
//! key before a release and serve the keys to the server, so the server,
//! which never sees the setups' randomness, cannot forge eligibility (nor
//! hand clients a claim key whose trapdoor it knows). Its toxic waste, like the
//! decryption secret, lives only in this process (the same setup
//! assumption; a multi-party ceremony would remove it).
//!
//! Layout of `<out>`: `public/` (the key set's public files) and
//! `party-<i>/` for each keyholder: `keyset.json`, `share.bin` (mode 0600)
//! and the public files (hard links to `public/` where possible). Hand
//! `party-<i>` to keyholder `i` over a private channel; it imports the
//! bundle on start (`CIPHERPOOL_KEYHOLDER_KEYSET_BUNDLE`); then delete it.

use std::fs;
use std::path::Path;

use fhe_compute::keys::{to_bytes, CRS_LIMIT, PUBLIC_KEY_LIMIT, SERVER_KEY_LIMIT};
use fhe_compute::threshold::deal;
use sha2::{Digest, Sha256};

use crate::store::{
    write_private, KeySetInfo, ATTESTATION_PK_FILE, ATTESTATION_VK_FILE, CLAIM_PK_FILE,
    CLAIM_VK_FILE, KEYSET_PUBLIC_FILES,
};

/// Largest serialized noise-squashing key (it is ~270 MB).
pub const SQUASH_KEY_LIMIT: u64 = 1 << 30;

/// Deals a key set among `parties` keyholders into `out` (which must not
/// exist yet, or be empty); returns the key set's id.
pub fn deal_bundles(parties: u32, out: &Path) -> anyhow::Result<String> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", out.display());
    }
    let started = std::time::Instant::now();
    let dealt = deal(parties)?;
    let (attestation_pk, attestation_vk) = protocol::attestation::setup(&mut rand::rngs::OsRng)?;
    let (claim_pk, claim_vk) = protocol::attestation::claim_setup(&mut rand::rngs::OsRng)?;
    let public_key = to_bytes(&dealt.public_key, PUBLIC_KEY_LIMIT, "public key")?;
    let key_id = hex::encode(Sha256::digest(&public_key));
    let public = out.join("public");
    fs::create_dir_all(&public)?;
    let files: [(&str, Vec<u8>); 8] = [
        ("public_key.bin", public_key),
        (
            "server_key.bin",
            to_bytes(&dealt.server_key, SERVER_KEY_LIMIT, "server key")?,
        ),
        (
            "squash_key.bin",
            to_bytes(&dealt.squash_key, SQUASH_KEY_LIMIT, "squashing key")?,
        ),
        (
            "noise_crs.bin",
            to_bytes(&dealt.noise_crs, CRS_LIMIT, "noise crs")?,
        ),
        (ATTESTATION_PK_FILE, attestation_pk.to_bytes()),
        (ATTESTATION_VK_FILE, attestation_vk.to_bytes()),
        (CLAIM_PK_FILE, claim_pk.to_bytes()),
        (CLAIM_VK_FILE, claim_vk.to_bytes()),
    ];
    debug_assert!(files.iter().map(|(n, _)| *n).eq(KEYSET_PUBLIC_FILES));
    for (name, bytes) in &files {
        fs::write(public.join(name), bytes)?;
    }
    for share in &dealt.shares {
        let dir = out.join(format!("party-{}", share.index()));
        fs::create_dir_all(&dir)?;
        let info = KeySetInfo {
            key_id: key_id.clone(),
            index: share.index(),
            parties,
        };
        fs::write(dir.join("keyset.json"), serde_json::to_vec_pretty(&info)?)?;
        write_private(&dir.join("share.bin"), &share.to_bytes())?;
        for name in KEYSET_PUBLIC_FILES {
            if fs::hard_link(public.join(name), dir.join(name)).is_err() {
                fs::copy(public.join(name), dir.join(name))?;
            }
        }
    }
    tracing::info!(
        parties,
        key_id = %key_id,
        secs = started.elapsed().as_secs_f64(),
        "dealt a key set"
    );
    Ok(key_id)
}
