//! Cipherpool's contributor client.
//!
//! Runs in the browser (wasm-bindgen bindings, TFHE encryption and the
//! Groth16 attestation arrive with the contributions work) and natively.
//! Today it offers what a contributor-side page needs from the foundation:
//! checking a campaign schema with exactly the code the server uses.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use protocol::CampaignSchema;

/// Parses a campaign schema from its JSON text with the server's own rules,
/// returning the number of encrypted values one record will carry.
pub fn encrypted_values_of(schema_json: &str) -> Result<usize, String> {
    CampaignSchema::from_json(schema_json).map(|s| s.encrypted_values())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_schemas_like_the_server() {
        let ok = r#"{"fields":[{"type":"numeric","name":"a","bits":16},
                     {"type":"categorical","name":"c","categories":["x","y"]}]}"#;
        assert_eq!(encrypted_values_of(ok), Ok(2));
        let err = encrypted_values_of(r#"{"fields":[]}"#).unwrap_err();
        assert!(err.contains("no fields"), "{err}");
        assert!(encrypted_values_of("{").is_err());
    }
}
