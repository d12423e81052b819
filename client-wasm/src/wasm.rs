//! Browser bindings (wasm-bindgen): thin wrappers over the client, every
//! export returning `Result<_, JsError>`.

use fhe_compute::keys::PublicMaterial;
use protocol::attestation::{self, fr_to_bytes, IdentitySecret, ProvingKey};
use protocol::record::encode;
use protocol::signing::parse_keys;
use protocol::wire::{IdentityView, Material};
use protocol::CampaignSchema;
use wasm_bindgen::prelude::*;

use crate::contribute::{prepare_contribution as prepare, Stage};

#[wasm_bindgen]
extern "C" {
    /// `self.cipherpoolPanic(message)`: set by the worker that hosts the
    /// module (web/js/worker.js); absent elsewhere (the call then fails
    /// quietly).
    #[wasm_bindgen(js_namespace = self, js_name = cipherpoolPanic, catch)]
    fn report_panic(message: &str) -> Result<(), JsValue>;
}

/// Runs when the module is instantiated: a Rust panic hands its message
/// (what failed, and where) to the host before the module traps with a bare
/// `unreachable`, so the page can say more than "crashed".
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let _ = report_panic(&info.to_string());
    }));
}

fn secret_from_hex(secret_hex: &str) -> Result<IdentitySecret, JsError> {
    let bytes = hex::decode(secret_hex.trim())
        .map_err(|_| JsError::new("the identity secret must be hex"))?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| JsError::new("the identity secret must be 32 bytes"))?;
    Ok(IdentitySecret::from_bytes(arr))
}

/// A fresh identity secret (64 hex characters) from the browser's CSPRNG.
#[wasm_bindgen(js_name = newIdentitySecret)]
pub fn new_identity_secret() -> Result<String, JsError> {
    let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
    Ok(hex::encode(secret.to_bytes()))
}

/// The Poseidon commitment of a secret, hex: what gets registered.
#[wasm_bindgen(js_name = identityCommitment)]
pub fn identity_commitment(secret_hex: &str) -> Result<String, JsError> {
    let secret = secret_from_hex(secret_hex)?;
    Ok(hex::encode(fr_to_bytes(&attestation::commitment(&secret))))
}

/// Checks a record (JSON object) against a campaign schema (JSON) without
/// encrypting; the error names the field and what is wrong.
#[wasm_bindgen(js_name = checkRecord)]
pub fn check_record(schema_json: &str, record_json: &str) -> Result<(), JsError> {
    let schema = CampaignSchema::from_json(schema_json).map_err(|e| JsError::new(&e))?;
    let record: serde_json::Value =
        serde_json::from_str(record_json).map_err(|e| JsError::new(&format!("record: {e}")))?;
    encode(&schema, &record).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(())
}

/// Checks that every one of `keyholder_keys` (hex Ed25519 keys, comma
/// separated) signed a campaign's material; the error says which did not.
#[wasm_bindgen(js_name = verifyMaterial)]
pub fn verify_material(material_json: &str, keyholder_keys: &str) -> Result<(), JsError> {
    let material: Material =
        serde_json::from_str(material_json).map_err(|e| JsError::new(&format!("material: {e}")))?;
    let pinned = parse_keys(keyholder_keys).map_err(|e| JsError::new(&e.to_string()))?;
    material
        .verify_signatures(&pinned)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Encrypts, proves and attests one record; returns the submission JSON to
/// POST to `/api/campaigns/{id}/contributions`. The material must carry a
/// valid signature by every one of `keyholder_keys` (hex Ed25519 keys,
/// comma separated), and `public_key` and `crs` (fetched from its
/// `public_key_url` and `crs_url`) must be the bytes it names. `progress` is called with `(stage, percent)` as the
/// work advances.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = prepareContribution)]
pub fn prepare_contribution(
    material_json: &str,
    public_key: &[u8],
    crs: &[u8],
    proving_key: &[u8],
    secret_hex: &str,
    identity_json: &str,
    record_json: &str,
    payout_account: f64,
    keyholder_keys: &str,
    progress: &js_sys::Function,
) -> Result<String, JsError> {
    let material: Material =
        serde_json::from_str(material_json).map_err(|e| JsError::new(&format!("material: {e}")))?;
    let identity: IdentityView =
        serde_json::from_str(identity_json).map_err(|e| JsError::new(&format!("identity: {e}")))?;
    let record: serde_json::Value =
        serde_json::from_str(record_json).map_err(|e| JsError::new(&format!("record: {e}")))?;
    if !(payout_account.is_finite() && payout_account >= 1.0 && payout_account.fract() == 0.0) {
        return Err(JsError::new(
            "payout account must be a positive whole number",
        ));
    }
    let pinned = parse_keys(keyholder_keys).map_err(|e| JsError::new(&e.to_string()))?;
    let pk = ProvingKey::from_bytes(proving_key).map_err(|e| JsError::new(&e.to_string()))?;
    let secret = secret_from_hex(secret_hex)?;
    let mut report = |s: Stage| {
        let _ = progress.call2(
            &JsValue::NULL,
            &JsValue::from_str(s.name()),
            &JsValue::from(s.percent()),
        );
    };
    let public = PublicMaterial {
        public_key: public_key.to_vec(),
        crs: crs.to_vec(),
    };
    let submission = prepare(
        &material,
        &public,
        &pk,
        &secret,
        &identity,
        &record,
        payout_account as u64,
        &pinned,
        &mut report,
    )
    .map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&submission).map_err(|e| JsError::new(&e.to_string()))
}
