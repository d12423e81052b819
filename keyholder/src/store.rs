//! The keyholder's storage: one directory per campaign, written atomically
//! (temporary directory, then rename). The client key is sealed with
//! AES-256-GCM under the key-encryption key, with the campaign id as
//! associated data so a sealed key cannot be moved to another campaign.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};

use crate::terms::{CampaignTerms, TermsError};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file system failed.
    #[error("keyholder storage: {0}")]
    Io(#[from] std::io::Error),
    /// The key-encryption key is malformed.
    #[error("key-encryption key must be 64 hex characters")]
    BadKek,
    /// A sealed client key did not open (wrong KEK, tampering, or moved).
    #[error("sealed client key of campaign {0} does not open")]
    Unseal(u64),
}

/// Public material of one campaign as stored.
pub struct StoredPublic {
    /// Serialized compact public key.
    pub public_key: Vec<u8>,
    /// Serialized CRS.
    pub crs: Vec<u8>,
    /// Serialized compressed server key.
    pub server_key: Vec<u8>,
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

    fn aad(campaign: u64) -> Vec<u8> {
        format!("cipherpool/keyholder/client-key/{campaign}").into_bytes()
    }

    /// Stores a campaign's keys atomically; the client key is sealed.
    pub fn put(
        &self,
        campaign: u64,
        client_key: &[u8],
        public: &StoredPublic,
    ) -> Result<(), StoreError> {
        let final_dir = self.dir(campaign);
        let tmp = self
            .root
            .join("campaigns")
            .join(format!(".tmp-{campaign}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp)?;
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: client_key,
                    aad: &Self::aad(campaign),
                },
            )
            .map_err(|_| StoreError::Unseal(campaign))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        write_private(&tmp.join("client_key.sealed"), &blob)?;
        write_synced(&tmp.join("public_key.bin"), &public.public_key)?;
        write_synced(&tmp.join("crs.bin"), &public.crs)?;
        write_synced(&tmp.join("server_key.bin"), &public.server_key)?;
        write_synced(&tmp.join("complete"), b"")?;
        sync_dir(&tmp)?;
        let _ = fs::remove_dir_all(&final_dir);
        fs::rename(&tmp, &final_dir)?;
        sync_dir(&self.root.join("campaigns"))?;
        Ok(())
    }

    /// Reads one public file of a campaign: `public_key.bin`, `crs.bin` or `server_key.bin`.
    pub fn read_public(&self, campaign: u64, name: &str) -> Result<Vec<u8>, StoreError> {
        debug_assert!(matches!(
            name,
            "public_key.bin" | "crs.bin" | "server_key.bin"
        ));
        Ok(fs::read(self.dir(campaign).join(name))?)
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

    /// Opens a sealed client key (used by decryption of released aggregates).
    pub fn client_key(&self, campaign: u64) -> Result<SecretBox<Vec<u8>>, StoreError> {
        let blob = fs::read(self.dir(campaign).join("client_key.sealed"))?;
        if blob.len() < 12 {
            return Err(StoreError::Unseal(campaign));
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &Self::aad(campaign),
                },
            )
            .map_err(|_| StoreError::Unseal(campaign))?;
        Ok(SecretBox::new(Box::new(plain)))
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

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_client_keys_and_binds_them_to_the_campaign() {
        let dir = std::env::temp_dir().join(format!("kh-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = KeyStore::open(&dir, &KekSource::InDataDir).unwrap();
        let public = StoredPublic {
            public_key: vec![1],
            crs: vec![2],
            server_key: vec![3],
        };
        store.put(7, b"very secret client key", &public).unwrap();
        assert!(store.has(7));
        assert!(!store.has(8));
        let sealed = fs::read(dir.join("campaigns/7/client_key.sealed")).unwrap();
        assert!(
            !sealed.windows(11).any(|w| w == b"very secret"),
            "client key stored in clear"
        );
        assert_eq!(
            store.client_key(7).unwrap().expose_secret().as_slice(),
            b"very secret client key"
        );
        // Moved to another campaign's folder, it does not open.
        fs::create_dir_all(dir.join("campaigns/9")).unwrap();
        fs::copy(
            dir.join("campaigns/7/client_key.sealed"),
            dir.join("campaigns/9/client_key.sealed"),
        )
        .unwrap();
        assert!(matches!(store.client_key(9), Err(StoreError::Unseal(9))));
        // With another KEK it does not open either.
        let hex = |s: &str| KekSource::Hex(SecretBox::from(s.to_string().into_boxed_str()));
        let other = KeyStore::open(&dir, &hex(&"11".repeat(32))).unwrap();
        assert!(matches!(other.client_key(7), Err(StoreError::Unseal(7))));
        assert!(matches!(
            KeyStore::open(&dir, &hex("abcd")),
            Err(StoreError::BadKek)
        ));
        fs::remove_dir_all(&dir).unwrap();
    }
}
