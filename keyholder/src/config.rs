//! Keyholder settings: defaults < TOML file < `CIPHERPOOL_KEYHOLDER_*` environment.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Keyholder settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyholderSettings {
    /// Address the keyholder listens on.
    pub listen: String,
    /// Directory holding the campaign keys.
    pub data_dir: PathBuf,
    /// Bearer token the server must present (shared secret, ≥ 16 characters).
    pub token: String,
    /// Key-encryption key for client keys at rest, 64 hex characters. When
    /// empty, a random one is created in `<data_dir>/kek` (mode 0600).
    pub kek_hex: String,
}

impl Default for KeyholderSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8081".into(),
            data_dir: PathBuf::from(".data/keyholder"),
            token: String::new(),
            kek_hex: String::new(),
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
        fig.merge(
            Env::prefixed("CIPHERPOOL_KEYHOLDER_")
                .only(&["listen", "data_dir", "token", "kek_hex"]),
        )
        .extract()
        .map_err(Box::new)
    }
}
