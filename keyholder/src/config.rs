//! Keyholder settings: defaults < TOML file < `CIPHERPOOL_KEYHOLDER_*` environment.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::Serializer;
use serde::{Deserialize, Serialize};

use crate::store::KekSource;

/// Writes a secret as itself. Only [`KeyholderSettings::load`] serializes
/// settings (figment's defaults, whose secrets are empty); `Debug` redacts them.
fn expose<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// Keyholder settings (`Debug` redacts the token and the KEK).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyholderSettings {
    /// Address the keyholder listens on.
    pub listen: String,
    /// Directory holding the campaign keys.
    pub data_dir: PathBuf,
    /// Bearer token the server must present (shared secret, ≥ 16 characters).
    #[serde(serialize_with = "expose")]
    pub token: SecretString,
    /// Key-encryption key for client keys at rest, 64 hex characters.
    #[serde(serialize_with = "expose")]
    pub kek_hex: SecretString,
    /// Or a file outside `data_dir` holding it (created with a random key,
    /// mode 0600, if missing).
    #[serde(default)]
    pub kek_file: PathBuf,
    /// DEVELOPMENT ONLY: with neither of the above, keep the KEK in
    /// `<data_dir>/kek`, beside the keys it seals. Without this setting the
    /// keyholder refuses to start with no KEK.
    #[serde(default)]
    pub development: bool,
    /// A dealt bundle (`party-<i>` of `cipherpool-keyholder deal`) to import
    /// on start if the store holds no key set yet.
    #[serde(default)]
    pub keyset_bundle: PathBuf,
}

impl Default for KeyholderSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8081".into(),
            data_dir: PathBuf::from(".data/keyholder"),
            token: SecretString::default(),
            kek_hex: SecretString::default(),
            kek_file: PathBuf::new(),
            development: false,
            keyset_bundle: PathBuf::new(),
        }
    }
}

impl KeyholderSettings {
    /// Loads defaults < `file` < environment (`CIPHERPOOL_KEYHOLDER_LISTEN`, ...).
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig.merge(Env::prefixed("CIPHERPOOL_KEYHOLDER_").only(&[
            "listen",
            "data_dir",
            "token",
            "kek_hex",
            "kek_file",
            "development",
            "keyset_bundle",
        ]))
        .extract()
        .map_err(Box::new)
    }
}

impl KeyholderSettings {
    /// Where the key-encryption key comes from: `kek_hex`, else `kek_file`
    /// (refused inside `data_dir`: a copy of the directory must not carry
    /// the key to its sealed keys), else `<data_dir>/kek` in development
    /// only; with none of them the keyholder does not start.
    pub fn kek_source(&self) -> anyhow::Result<KekSource> {
        let kek_hex = self.kek_hex.expose_secret().trim();
        if !kek_hex.is_empty() {
            return Ok(KekSource::Hex(SecretBox::from(
                kek_hex.to_string().into_boxed_str(),
            )));
        }
        if !self.kek_file.as_os_str().is_empty() {
            std::fs::create_dir_all(&self.data_dir)?;
            let data = self.data_dir.canonicalize()?;
            let parent = match self.kek_file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let parent = parent
                .canonicalize()
                .map_err(|e| anyhow::anyhow!("kek_file {}: {e}", self.kek_file.display()))?;
            if parent.starts_with(&data) {
                anyhow::bail!(
                    "kek_file {} is inside the data directory {}: keep the key-encryption key \
                     apart from the keys it seals",
                    self.kek_file.display(),
                    self.data_dir.display()
                );
            }
            return Ok(KekSource::File(self.kek_file.clone()));
        }
        if self.development {
            tracing::warn!(
                "DEVELOPMENT: the key-encryption key is kept in {}/kek, beside the keys it seals",
                self.data_dir.display()
            );
            return Ok(KekSource::InDataDir);
        }
        anyhow::bail!(
            "no key-encryption key: set CIPHERPOOL_KEYHOLDER_KEK_HEX, or CIPHERPOOL_KEYHOLDER_KEK_FILE \
             (a file outside the data directory), or CIPHERPOOL_KEYHOLDER_DEVELOPMENT=true for a \
             development setup"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_and_the_kek_are_never_printed() {
        let s = KeyholderSettings {
            token: "s3cret-token-of-the-server".into(),
            kek_hex: "ab".repeat(32).into(),
            ..KeyholderSettings::default()
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("abab"),
            "{shown}"
        );
        assert!(shown.contains("REDACTED"), "{shown}");
    }

    #[test]
    fn the_kek_comes_from_outside_the_data_directory_unless_developing() {
        let root = std::env::temp_dir().join(format!("kh-kek-{}", std::process::id()));
        let settings = KeyholderSettings {
            data_dir: root.join("keyholder"),
            ..KeyholderSettings::default()
        };
        let e = settings.kek_source().unwrap_err().to_string();
        assert!(e.contains("no key-encryption key"), "{e}");
        let inside = KeyholderSettings {
            kek_file: root.join("keyholder/kek"),
            ..settings.clone()
        };
        let e = inside.kek_source().unwrap_err().to_string();
        assert!(e.contains("inside the data directory"), "{e}");
        let outside = KeyholderSettings {
            kek_file: root.join("keyholder-kek"),
            ..settings.clone()
        };
        assert!(matches!(outside.kek_source().unwrap(), KekSource::File(_)));
        let hex = KeyholderSettings {
            kek_hex: "11".repeat(32).into(),
            ..settings.clone()
        };
        assert!(matches!(hex.kek_source().unwrap(), KekSource::Hex(_)));
        let dev = KeyholderSettings {
            development: true,
            ..settings
        };
        assert!(matches!(dev.kek_source().unwrap(), KekSource::InDataDir));
        let _ = std::fs::remove_dir_all(&root);
    }
}
