//! The keyholder's storage: the dealt key set (`keyset/`: its public files
//! and this keyholder's share of the decryption secret, sealed with
//! AES-256-GCM under the key-encryption key, the key set's id and the share
//! index as associated data so a sealed share cannot be moved to another
//! key set or position) and one directory per campaign, each written
//! atomically (temporary directory, then rename) and durably.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};

use fhe_compute::threshold::KeyShare;
use sha2::Digest;

use crate::terms::{CampaignTerms, TermsError};

/// A job's prepared first round as stored: `prepared.json`,
/// `aggregate.bin` and `noise.bin`.
pub type PreparedFiles = (Vec<u8>, Vec<u8>, Vec<u8>);

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system failed.
    #[error("keyholder storage: {0}")]
    Io(#[from] std::io::Error),
    /// The key-encryption key is malformed.
    #[error("key-encryption key must be 64 hex characters")]
    BadKek,
    /// The sealed share did not open (wrong KEK, tampering, or moved).
    #[error("the sealed key share does not open")]
    Unseal,
    /// No key set was dealt to this keyholder.
    #[error("this keyholder holds no key set: import a dealt bundle (cipherpool-keyholder deal, then CIPHERPOOL_KEYHOLDER_KEYSET_BUNDLE)")]
    NoKeySet,
    /// A bundle that is not this keyholder's key set, or not a bundle.
    #[error("key set bundle: {0}")]
    Bundle(String),
}

/// The public files of a dealt key set (in `keyset/` and in a bundle).
pub const KEYSET_PUBLIC_FILES: [&str; 8] = [
    "public_key.bin",
    "server_key.bin",
    "squash_key.bin",
    "noise_crs.bin",
    ATTESTATION_PK_FILE,
    ATTESTATION_VK_FILE,
    CLAIM_PK_FILE,
    CLAIM_VK_FILE,
];

/// The attestation circuit's proving key; the name carries the circuit
/// version (`protocol::attestation::CIRCUIT_VERSION`), so a key set dealt
/// for another version is not taken for this one.
pub const ATTESTATION_PK_FILE: &str = "attestation_v3_pk.bin";
/// The attestation circuit's verifying key (versioned like the proving key).
pub const ATTESTATION_VK_FILE: &str = "attestation_v3_vk.bin";
/// The claim circuit's proving key (`CLAIM_CIRCUIT_VERSION` in the name).
pub const CLAIM_PK_FILE: &str = "claim_v1_pk.bin";
/// The claim circuit's verifying key.
pub const CLAIM_VK_FILE: &str = "claim_v1_vk.bin";

/// What a dealt key set is, for this keyholder (`keyset.json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeySetInfo {
    /// SHA-256 of the public key, hex.
    pub key_id: String,
    /// This keyholder's share index.
    pub index: u32,
    /// How many keyholders hold a share.
    pub parties: u32,
}

/// Where the key-encryption key comes from.
pub enum KekSource {
    /// 64 hex characters (`CIPHERPOOL_KEYHOLDER_KEK_HEX`).
    Hex(SecretBox<str>),
    /// A file outside the data directory holding 64 hex characters, created
    /// with 32 random bytes (mode 0600) if missing.
    File(PathBuf),
    /// DEVELOPMENT ONLY: `<data_dir>/kek`, beside the sealed keys it
    /// protects (whoever copies the directory has both).
    InDataDir,
}

impl std::fmt::Debug for KekSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hex(_) => f.write_str("Hex([redacted])"),
            Self::File(p) => write!(f, "File({})", p.display()),
            Self::InDataDir => f.write_str("InDataDir"),
        }
    }
}

/// Reads a KEK file, creating it with a random key (mode 0600) if missing.
fn kek_from_file(path: &Path) -> Result<[u8; 32], StoreError> {
    if !path.exists() {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        write_private(path, hex::encode(k).as_bytes())?;
    }
    kek_from_hex(&fs::read_to_string(path)?)
}

fn kek_from_hex(text: &str) -> Result<[u8; 32], StoreError> {
    let bytes = hex::decode(text.trim()).map_err(|_| StoreError::BadKek)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::BadKek)
}

/// The keyholder's directory.
pub struct KeyStore {
    root: PathBuf,
    kek: SecretBox<[u8; 32]>,
}

impl KeyStore {
    /// Opens (creating) the store at `root` with the KEK from `kek`.
    pub fn open(root: &Path, kek: &KekSource) -> Result<Self, StoreError> {
        fs::create_dir_all(root.join("campaigns"))?;
        let kek = match kek {
            KekSource::Hex(hex) => kek_from_hex(hex.expose_secret())?,
            KekSource::File(path) => kek_from_file(path)?,
            KekSource::InDataDir => kek_from_file(&root.join("kek"))?,
        };
        Ok(Self {
            root: root.to_path_buf(),
            kek: SecretBox::new(Box::new(kek)),
        })
    }

    fn dir(&self, campaign: u64) -> PathBuf {
        self.root.join("campaigns").join(campaign.to_string())
    }

    /// Whether keys exist for `campaign`.
    pub fn has(&self, campaign: u64) -> bool {
        self.dir(campaign).join("complete").exists()
    }

    fn cipher(&self) -> Aes256Gcm {
        // Unwrap safety: a 32-byte key is always a valid AES-256 key.
        Aes256Gcm::new_from_slice(self.kek.expose_secret()).expect("32-byte key")
    }

    fn share_aad(info: &KeySetInfo) -> Vec<u8> {
        format!(
            "cipherpool/keyholder/share/{}/{}/{}",
            info.key_id, info.index, info.parties
        )
        .into_bytes()
    }

    fn keyset_dir(&self) -> PathBuf {
        self.root.join("keyset")
    }

    /// The key set this keyholder holds, if one was imported.
    pub fn keyset(&self) -> Result<Option<KeySetInfo>, StoreError> {
        let dir = self.keyset_dir();
        if !dir.join("complete").exists() {
            return Ok(None);
        }
        let bytes = fs::read(dir.join("keyset.json"))?;
        Ok(Some(
            serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
        ))
    }

    /// Imports a dealt bundle (`keyset.json`, `share.bin` and the public
    /// files): the share is sealed, the public files copied. Importing the
    /// same key set and index again changes nothing; another one is refused
    /// (a keyholder holds one key set; a new one needs a new directory).
    pub fn import_keyset(&self, bundle: &Path) -> Result<KeySetInfo, StoreError> {
        let bad = |m: String| StoreError::Bundle(format!("{}: {m}", bundle.display()));
        let info: KeySetInfo = serde_json::from_slice(
            &fs::read(bundle.join("keyset.json")).map_err(|e| bad(e.to_string()))?,
        )
        .map_err(|e| bad(e.to_string()))?;
        if let Some(held) = self.keyset()? {
            return if held == info {
                Ok(held)
            } else {
                Err(bad(format!(
                    "this keyholder already holds key set {} (share {} of {})",
                    held.key_id, held.index, held.parties
                )))
            };
        }
        let share = zeroize::Zeroizing::new(
            fs::read(bundle.join("share.bin")).map_err(|e| bad(e.to_string()))?,
        );
        let parsed = KeyShare::from_bytes(&share).map_err(|e| bad(e.to_string()))?;
        if (parsed.index(), parsed.parties()) != (info.index, info.parties) {
            return Err(bad("the share is not the one keyset.json names".into()));
        }
        let public_key = fs::read(bundle.join("public_key.bin")).map_err(|e| bad(e.to_string()))?;
        if hex::encode(sha2::Sha256::digest(&public_key)) != info.key_id {
            return Err(bad("the public key is not the key set's".into()));
        }
        let tmp = self
            .root
            .join(format!(".tmp-keyset-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp)?;
        for name in KEYSET_PUBLIC_FILES {
            let from = bundle.join(name);
            // A hard link where the bundle is on the same file system (the
            // squashing key alone is ~270 MB), a copy otherwise.
            if fs::hard_link(&from, tmp.join(name)).is_err() {
                fs::copy(&from, tmp.join(name)).map_err(|e| bad(format!("{name}: {e}")))?;
            }
            fs::File::open(tmp.join(name))?.sync_all()?;
        }
        let blob = self.seal(share.as_slice(), &Self::share_aad(&info))?;
        write_private(&tmp.join("share.sealed"), &blob)?;
        write_synced(
            &tmp.join("keyset.json"),
            &serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?,
        )?;
        write_synced(&tmp.join("complete"), b"")?;
        sync_dir(&tmp)?;
        let _ = fs::remove_dir_all(self.keyset_dir());
        fs::rename(&tmp, self.keyset_dir())?;
        sync_dir(&self.root)?;
        Ok(info)
    }

    /// Opens this keyholder's sealed share.
    pub fn share(&self) -> Result<KeyShare, StoreError> {
        let info = self.keyset()?.ok_or(StoreError::NoKeySet)?;
        let blob = fs::read(self.keyset_dir().join("share.sealed"))?;
        let plain = self.unseal(&blob, &Self::share_aad(&info))?;
        KeyShare::from_bytes(&plain).map_err(|_| StoreError::Unseal)
    }

    /// AES-256-GCM under the KEK: a random nonce, then the sealed bytes.
    fn seal(&self, msg: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), Payload { msg, aad })
            .map_err(|_| StoreError::Unseal)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(blob)
    }

    /// Opens what [`Self::seal`] sealed with the same `aad`.
    fn unseal(&self, blob: &[u8], aad: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        if blob.len() < 12 {
            return Err(StoreError::Unseal);
        }
        let (nonce, sealed) = blob.split_at(12);
        Ok(zeroize::Zeroizing::new(
            self.cipher()
                .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
                .map_err(|_| StoreError::Unseal)?,
        ))
    }

    /// This keyholder's Ed25519 signing key (sealed in `signing.sealed`),
    /// made on the first call: call it once at start, before serving.
    pub fn signing_key(&self) -> Result<protocol::signing::SigningKey, StoreError> {
        const AAD: &[u8] = b"cipherpool/keyholder/signing/v1";
        let path = self.root.join("signing.sealed");
        if !path.exists() {
            let mut seed = zeroize::Zeroizing::new([0u8; 32]);
            rand::rngs::OsRng.fill_bytes(seed.as_mut());
            let tmp = self
                .root
                .join(format!(".tmp-signing-{}", std::process::id()));
            write_private(&tmp, &self.seal(seed.as_ref(), AAD)?)?;
            fs::rename(&tmp, &path)?;
            sync_dir(&self.root)?;
        }
        let seed = self.unseal(&fs::read(&path)?, AAD)?;
        let seed: [u8; 32] = seed.as_slice().try_into().map_err(|_| StoreError::Unseal)?;
        Ok(protocol::signing::SigningKey::from_bytes(&seed))
    }

    /// One public file of the key set ([`KEYSET_PUBLIC_FILES`]).
    pub fn keyset_file(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        debug_assert!(KEYSET_PUBLIC_FILES.contains(&name));
        if self.keyset()?.is_none() {
            return Err(StoreError::NoKeySet);
        }
        Ok(fs::read(self.keyset_dir().join(name))?)
    }

    /// The key set's evaluation key, parsed within limits, as a CPU backend
    /// (decompressed after the FFT plan is pinned, so its results are the
    /// workers' bytes).
    pub fn cpu_backend(&self) -> Result<fhe_compute::stats::cpu::CpuBackend, StoreError> {
        let server_key = fhe_compute::keys::from_bytes(
            &self.keyset_file("server_key.bin")?,
            fhe_compute::keys::SERVER_KEY_LIMIT,
            "server key",
        )
        .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        Ok(fhe_compute::stats::cpu::CpuBackend::new(&server_key))
    }

    /// Registers a campaign under the key set with its CRS, atomically.
    pub fn put_campaign(&self, campaign: u64, crs: &[u8]) -> Result<(), StoreError> {
        let info = self.keyset()?.ok_or(StoreError::NoKeySet)?;
        let final_dir = self.dir(campaign);
        let tmp = self
            .root
            .join("campaigns")
            .join(format!(".tmp-{campaign}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp)?;
        write_synced(&tmp.join("crs.bin"), crs)?;
        write_synced(&tmp.join("key_id"), info.key_id.as_bytes())?;
        write_synced(&tmp.join("complete"), b"")?;
        sync_dir(&tmp)?;
        let _ = fs::remove_dir_all(&final_dir);
        fs::rename(&tmp, &final_dir)?;
        sync_dir(&self.root.join("campaigns"))?;
        Ok(())
    }

    /// A campaign's CRS.
    pub fn crs(&self, campaign: u64) -> Result<Vec<u8>, StoreError> {
        Ok(fs::read(self.dir(campaign).join("crs.bin"))?)
    }

    /// Records a campaign's release terms. Terms never change: the same
    /// terms again are accepted, other terms are refused
    /// ([`TermsError::Differ`] in `Ok(Err(..))`).
    pub fn put_terms(
        &self,
        campaign: u64,
        terms: &CampaignTerms,
    ) -> Result<Result<(), TermsError>, StoreError> {
        if let Some(stored) = self.terms(campaign)? {
            return Ok(if &stored == terms {
                Ok(())
            } else {
                Err(TermsError::Differ)
            });
        }
        let bytes = serde_json::to_vec_pretty(terms).map_err(std::io::Error::other)?;
        write_atomic(&self.dir(campaign).join("terms.json"), &bytes)?;
        Ok(Ok(()))
    }

    /// A campaign's release terms, if recorded.
    pub fn terms(&self, campaign: u64) -> Result<Option<CampaignTerms>, StoreError> {
        let path = self.dir(campaign).join("terms.json");
        if !path.exists() {
            return Ok(None);
        }
        let bytes = fs::read(path)?;
        Ok(Some(
            serde_json::from_slice(&bytes).map_err(std::io::Error::other)?,
        ))
    }

    /// Privacy budget already spent by a campaign's releases, in millionths of ε.
    pub fn spent(&self, campaign: u64) -> Result<u64, StoreError> {
        let path = self.dir(campaign).join("epsilon_spent");
        if !path.exists() {
            return Ok(0);
        }
        fs::read_to_string(path)?
            .trim()
            .parse()
            .map_err(|e| StoreError::Io(std::io::Error::other(format!("epsilon_spent: {e}"))))
    }

    /// Records the budget spent (durably, before the release is answered).
    pub fn set_spent(&self, campaign: u64, micro: u64) -> Result<(), StoreError> {
        write_atomic(
            &self.dir(campaign).join("epsilon_spent"),
            micro.to_string().as_bytes(),
        )
    }

    /// Freezes a campaign after job `job`'s aggregate failed verification:
    /// no further release until an operator removes `<campaign>/frozen`.
    pub fn freeze(&self, campaign: u64, job: u64) -> Result<(), StoreError> {
        let path = self.dir(campaign).join("frozen");
        if path.exists() {
            return Ok(());
        }
        write_atomic(&path, job.to_string().as_bytes())
    }

    /// The job that froze the campaign, if it is frozen.
    pub fn frozen(&self, campaign: u64) -> Result<Option<u64>, StoreError> {
        let path = self.dir(campaign).join("frozen");
        if !path.exists() {
            return Ok(None);
        }
        let text = fs::read_to_string(path)?;
        Ok(Some(text.trim().parse().map_err(|e| {
            StoreError::Io(std::io::Error::other(format!("frozen: {e}")))
        })?))
    }

    fn release_path(&self, campaign: u64, job: u64) -> PathBuf {
        self.dir(campaign)
            .join("releases")
            .join(format!("{job}.json"))
    }

    /// A stored release of a job (its answer, replayed on a repeated request).
    pub fn release(&self, campaign: u64, job: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.release_path(campaign, job);
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(fs::read(path)?))
    }

    /// Stores a job's release.
    pub fn put_release(&self, campaign: u64, job: u64, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.release_path(campaign, job);
        fs::create_dir_all(path.parent().unwrap_or(&self.root))?;
        write_atomic(&path, bytes)
    }

    fn prepared_dir(&self, campaign: u64, job: u64) -> PathBuf {
        self.dir(campaign).join("releases").join(job.to_string())
    }

    /// A job's first-round state: what was verified and the noise answered
    /// (`prepared.json`, `aggregate.bin`, `noise.bin`, in that order).
    pub fn prepared(&self, campaign: u64, job: u64) -> Result<Option<PreparedFiles>, StoreError> {
        let dir = self.prepared_dir(campaign, job);
        if !dir.join("complete").exists() {
            return Ok(None);
        }
        Ok(Some((
            fs::read(dir.join("prepared.json"))?,
            fs::read(dir.join("aggregate.bin"))?,
            fs::read(dir.join("noise.bin"))?,
        )))
    }

    /// Stores a job's first-round state, atomically.
    pub fn put_prepared(
        &self,
        campaign: u64,
        job: u64,
        prepared: &[u8],
        aggregate: &[u8],
        noise: &[u8],
    ) -> Result<(), StoreError> {
        let dir = self.prepared_dir(campaign, job);
        let parent = dir.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&parent)?;
        let tmp = parent.join(format!(".tmp-{job}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp)?;
        write_synced(&tmp.join("prepared.json"), prepared)?;
        write_synced(&tmp.join("aggregate.bin"), aggregate)?;
        write_synced(&tmp.join("noise.bin"), noise)?;
        write_synced(&tmp.join("complete"), b"")?;
        sync_dir(&tmp)?;
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&tmp, &dir)?;
        sync_dir(&parent)?;
        Ok(())
    }

    /// The contributor registry's leaves as this keyholder was told them
    /// (`<root>/registry.bin`: 32-byte commitments, appended in leaf order).
    /// A torn last write (a crash mid-append) is ignored: the server pushes
    /// that leaf again.
    pub fn registry_leaves(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        let path = self.root.join("registry.bin");
        if !path.exists() {
            return Ok(Vec::new());
        }
        let bytes = fs::read(path)?;
        Ok(bytes
            .chunks_exact(32)
            .map(|c| <[u8; 32]>::try_from(c).expect("32-byte chunk"))
            .collect())
    }

    /// Appends leaves to the registry file after the `held` it already
    /// holds (a torn tail beyond them is cut first), synced to disk.
    pub fn append_registry_leaves(&self, held: u64, leaves: &[[u8; 32]]) -> Result<(), StoreError> {
        let mut buf = Vec::with_capacity(leaves.len() * 32);
        for leaf in leaves {
            buf.extend_from_slice(leaf);
        }
        self.append_records("registry.bin", held * 32, &buf)
    }

    /// Appends `bytes` to `<root>/<name>` after its first `keep` bytes (a
    /// torn tail beyond them is cut first), synced to disk, the directory
    /// too when the file is new.
    fn append_records(&self, name: &str, keep: u64, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.root.join(name);
        let created = !path.exists();
        let mut f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        f.set_len(keep)?;
        use std::io::Seek;
        f.seek(std::io::SeekFrom::End(0))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if created {
            sync_dir(&self.root)?;
        }
        Ok(())
    }

    /// The registry's revocations and restorations, in the order they were
    /// applied (`<root>/registry-revocations.bin`: 49-byte records — leaves
    /// held when applied (u64 LE), leaf index (u64 LE), the leaf's
    /// commitment, 1 revoked / 0 restored). A torn last record is ignored.
    pub fn registry_revocations(&self) -> Result<Vec<RevocationRecord>, StoreError> {
        let path = self.root.join(REVOCATIONS_FILE);
        if !path.exists() {
            return Ok(Vec::new());
        }
        Ok(fs::read(path)?
            .chunks_exact(REVOCATION_RECORD)
            .map(RevocationRecord::from_bytes)
            .collect())
    }

    /// Appends one revocation record after the `held` complete ones (a torn
    /// tail is cut first), synced to disk.
    pub fn append_registry_revocation(
        &self,
        held: u64,
        record: &RevocationRecord,
    ) -> Result<(), StoreError> {
        self.append_records(
            REVOCATIONS_FILE,
            held * REVOCATION_RECORD as u64,
            &record.to_bytes(),
        )
    }

    /// Appends one line to the decryption log (`<root>/decryptions.log`, JSON
    /// lines: every release and every refusal), synced to disk.
    pub fn log(&self, entry: &serde_json::Value) -> Result<(), StoreError> {
        let path = self.root.join("decryptions.log");
        let created = !path.exists();
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let mut line = entry.to_string();
        line.push('\n');
        f.write_all(line.as_bytes())?;
        f.sync_all()?;
        if created {
            sync_dir(&self.root)?;
        }
        Ok(())
    }

    /// The decryption log's entries, oldest first.
    pub fn log_entries(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let path = self.root.join("decryptions.log");
        if !path.exists() {
            return Ok(Vec::new());
        }
        fs::read_to_string(path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| StoreError::Io(std::io::Error::other(e))))
            .collect()
    }
}

/// Writes a file atomically and durably: a synced temporary file renamed
/// over the target, then the directory synced so the rename survives a crash.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    write_synced(&tmp, bytes)?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Writes a file and syncs its contents.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Syncs a directory's entries (names created, renamed or removed in it).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Writes a file readable by its owner only (mode 0600), synced.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

const REVOCATIONS_FILE: &str = "registry-revocations.bin";
const REVOCATION_RECORD: usize = 8 + 8 + 32 + 1;

/// One revocation (or restoration) of a registry leaf, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationRecord {
    /// Leaves the registry held when it was applied (replay order).
    pub held: u64,
    /// The leaf.
    pub index: u64,
    /// The leaf's commitment (what a restoration puts back).
    pub commitment: [u8; 32],
    /// Revoked (true) or restored (false).
    pub revoked: bool,
}

impl RevocationRecord {
    fn to_bytes(self) -> [u8; REVOCATION_RECORD] {
        let mut b = [0u8; REVOCATION_RECORD];
        b[..8].copy_from_slice(&self.held.to_le_bytes());
        b[8..16].copy_from_slice(&self.index.to_le_bytes());
        b[16..48].copy_from_slice(&self.commitment);
        b[48] = u8::from(self.revoked);
        b
    }

    fn from_bytes(b: &[u8]) -> Self {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        Self {
            held: u64_at(0),
            index: u64_at(8),
            commitment: b[16..48].try_into().expect("32 bytes"),
            revoked: b[48] != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bundle with a well-formed share of 4096 coefficients (the value
    /// of each byte is `fill`) and stand-in public files.
    fn bundle(dir: &Path, index: u32, parties: u32, fill: u8) -> KeySetInfo {
        fs::create_dir_all(dir).unwrap();
        let public_key = b"public key".to_vec();
        let info = KeySetInfo {
            key_id: hex::encode(sha2::Sha256::digest(&public_key)),
            index,
            parties,
        };
        let mut share = b"CPSHARE1".to_vec();
        share.extend_from_slice(&index.to_be_bytes());
        share.extend_from_slice(&parties.to_be_bytes());
        share.extend(std::iter::repeat_n(fill, 16 * 4096));
        fs::write(dir.join("share.bin"), share).unwrap();
        fs::write(dir.join("keyset.json"), serde_json::to_vec(&info).unwrap()).unwrap();
        for name in KEYSET_PUBLIC_FILES {
            let bytes = if name == "public_key.bin" {
                public_key.clone()
            } else {
                name.as_bytes().to_vec()
            };
            fs::write(dir.join(name), bytes).unwrap();
        }
        info
    }

    #[test]
    fn seals_the_share_and_binds_it_to_its_key_set_and_position() {
        let dir = std::env::temp_dir().join(format!("kh-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = KeyStore::open(&dir.join("data"), &KekSource::InDataDir).unwrap();
        assert!(matches!(store.share(), Err(StoreError::NoKeySet)));
        assert!(matches!(
            store.put_campaign(1, b"crs"),
            Err(StoreError::NoKeySet)
        ));
        let info = bundle(&dir.join("b0"), 0, 2, 0xab);
        assert_eq!(store.import_keyset(&dir.join("b0")).unwrap(), info);
        let sealed = fs::read(dir.join("data/keyset/share.sealed")).unwrap();
        assert!(
            !sealed.windows(32).any(|w| w.iter().all(|b| *b == 0xab)),
            "share stored in clear"
        );
        let share = store.share().unwrap();
        assert_eq!((share.index(), share.parties()), (0, 2));
        assert_eq!(
            store.keyset_file("server_key.bin").unwrap(),
            b"server_key.bin"
        );
        // The same bundle again is a no-op; another position is refused.
        store.import_keyset(&dir.join("b0")).unwrap();
        bundle(&dir.join("b1"), 1, 2, 0xcd);
        assert!(matches!(
            store.import_keyset(&dir.join("b1")),
            Err(StoreError::Bundle(_))
        ));
        // A share moved into another keyholder's position does not open.
        let other = KeyStore::open(&dir.join("other"), &KekSource::InDataDir).unwrap();
        fs::copy(dir.join("data/kek"), dir.join("other/kek")).unwrap();
        let other = {
            drop(other);
            KeyStore::open(&dir.join("other"), &KekSource::InDataDir).unwrap()
        };
        other.import_keyset(&dir.join("b1")).unwrap();
        fs::copy(
            dir.join("data/keyset/share.sealed"),
            dir.join("other/keyset/share.sealed"),
        )
        .unwrap();
        assert!(matches!(other.share(), Err(StoreError::Unseal)));
        // With another KEK it does not open either.
        let hex = |s: &str| KekSource::Hex(SecretBox::from(s.to_string().into_boxed_str()));
        let rekeyed = KeyStore::open(&dir.join("data"), &hex(&"11".repeat(32))).unwrap();
        assert!(matches!(rekeyed.share(), Err(StoreError::Unseal)));
        assert!(matches!(
            KeyStore::open(&dir, &hex("abcd")),
            Err(StoreError::BadKek)
        ));
        // A bundle whose public key is not its key id is refused.
        let fresh = KeyStore::open(&dir.join("fresh"), &KekSource::InDataDir).unwrap();
        fs::write(dir.join("b1/public_key.bin"), b"another key").unwrap();
        assert!(matches!(
            fresh.import_keyset(&dir.join("b1")),
            Err(StoreError::Bundle(_))
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_signing_key_is_made_once_sealed_and_kept() {
        let dir = std::env::temp_dir().join(format!("kh-sign-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let hex = |s: &str| KekSource::Hex(SecretBox::from(s.to_string().into_boxed_str()));
        let store = KeyStore::open(&dir, &hex(&"22".repeat(32))).unwrap();
        let key = store.signing_key().unwrap();
        // The same key after reopening; never stored in the clear.
        let again = KeyStore::open(&dir, &hex(&"22".repeat(32)))
            .unwrap()
            .signing_key()
            .unwrap();
        assert_eq!(key.to_bytes(), again.to_bytes());
        let sealed = fs::read(dir.join("signing.sealed")).unwrap();
        assert!(!sealed.windows(32).any(|w| w == key.to_bytes()));
        // Under another KEK it does not open (and is not silently replaced).
        let rekeyed = KeyStore::open(&dir, &hex(&"33".repeat(32))).unwrap();
        assert!(matches!(rekeyed.signing_key(), Err(StoreError::Unseal)));
        assert_eq!(fs::read(dir.join("signing.sealed")).unwrap(), sealed);
        fs::remove_dir_all(&dir).unwrap();
    }
}
