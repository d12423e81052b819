//! Browser bindings (wasm-bindgen): thin wrappers over the client, every
//! export returning `Result<_, JsError>`.

use fhe_compute::keys::PublicMaterial;
use protocol::attestation::{self, fr_to_bytes, IdentitySecret};
use protocol::record::encode;
use protocol::signing::parse_keys;
use protocol::wire::{CircuitKeys, IdentityView, Material};
use protocol::CampaignSchema;
use wasm_bindgen::prelude::*;

use crate::contribute::{LoadedCampaign, Stage};
use crate::keys::{PinnedClaimKey, PinnedProvingKey};
use crate::notes::{self, HeldNote, NotesTree};

#[wasm_bindgen]
extern "C" {
    /// `self.cipherpoolPanic(message)`: set by the worker that hosts the
    /// module (web/js/worker.js); absent elsewhere (the call then fails
    /// quietly).
    #[wasm_bindgen(js_namespace = self, js_name = cipherpoolPanic, catch)]
    fn report_panic(message: &str) -> Result<(), JsValue>;
}

/// The name of the page's `BroadcastChannel` for panics, set once by the
/// hosting worker ([`set_panic_channel`]). A static in the module's memory,
/// so that in the threaded build the pool's workers (which share that
/// memory) see it too.
static PANIC_CHANNEL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Runs when the module is instantiated: a Rust panic hands its message
/// (what failed, and where) to the host before the module traps with a bare
/// `unreachable`, so the page can say more than "crashed". In the threaded
/// build a panic may happen on one of rayon's pool workers while the
/// hosting worker is blocked waiting for that pool: the hosting worker then
/// never answers, so the message also goes to the page itself, on the
/// channel the host named, and the page replaces the worker.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        let _ = report_panic(&message);
        if let Some(channel) = PANIC_CHANNEL.get() {
            let _ = announce_panic(channel, &message);
        }
    }));
}

/// Names the page's `BroadcastChannel` that panics are announced on (the
/// hosting worker's name, unique per worker); the first name set stays.
#[wasm_bindgen(js_name = setPanicChannel)]
pub fn set_panic_channel(name: String) {
    let _ = PANIC_CHANNEL.set(name);
}

/// `new BroadcastChannel(channel).postMessage(message)`, then closes it
/// (the message is already queued for the page), through `js_sys` alone.
fn announce_panic(channel: &str, message: &str) -> Result<(), JsValue> {
    use js_sys::{Array, Function, Reflect};
    let method = |target: &JsValue, name: &str| -> Result<Function, JsValue> {
        Reflect::get(target, &JsValue::from_str(name))?.dyn_into::<Function>()
    };
    let constructor = method(&js_sys::global(), "BroadcastChannel")?;
    let chan = Reflect::construct(&constructor, &Array::of1(&JsValue::from_str(channel)))?;
    method(&chan, "postMessage")?.call1(&chan, &JsValue::from_str(message))?;
    method(&chan, "close")?.call0(&chan)?;
    Ok(())
}

/// Diagnostics, threaded build only: panics on one of rayon's pool
/// workers, as a bug in the proving code running there would. The browser
/// tests call it to show that the page then answers with the panic's
/// message and starts a fresh worker instead of waiting forever.
#[cfg(feature = "threads")]
#[wasm_bindgen(js_name = panicOnPool)]
pub fn panic_on_pool() {
    rayon::join(|| (), || panic!("a panic on rayon's pool (panicOnPool)"));
}

/// The threaded build only (feature `threads`, web/pkg-threads):
/// `initThreadPool(n)` starts rayon's global pool on `n` Web Workers that
/// share this module's memory; the host awaits it once, before any other
/// call. Without it the module computes on its own thread.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// How many threads the module computes on: rayon's pool (after
/// `initThreadPool`) in the threaded build, 1 in the single-threaded one.
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    #[cfg(feature = "threads")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "threads"))]
    1
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

/// Checks that every one of `keyholder_keys` (hex Ed25519 keys, comma
/// separated) signed the proving keys' hashes in `circuit_keys_json` (`GET
/// /api/attestation/keys`), and that they are for the circuits this client
/// proves: before any key is fetched or kept.
#[wasm_bindgen(js_name = verifyCircuitKeys)]
pub fn verify_circuit_keys(circuit_keys_json: &str, keyholder_keys: &str) -> Result<(), JsError> {
    let pinned = parse_keys(keyholder_keys).map_err(js_err)?;
    circuit_keys(circuit_keys_json)?
        .verify_signatures(&pinned)
        .map_err(js_err)
}

/// A campaign loaded once in the worker: its material checked (every one of
/// `keyholder_keys`, hex Ed25519 keys comma separated, signed it; the
/// public key and CRS, fetched from its `public_key_url` and `crs_url`, are
/// the bytes it names), the proving key checked (every one of them signed its
/// SHA-256 in `circuit_keys_json`, from the material's `circuit_keys_url`,
/// and the bytes fetched from its `proving_key_url` are those) and the keys
/// parsed, so that each contribution only encrypts and proves.
#[wasm_bindgen]
pub struct Campaign(LoadedCampaign);

fn circuit_keys(json: &str) -> Result<CircuitKeys, JsError> {
    serde_json::from_str(json).map_err(|e| JsError::new(&format!("circuit keys: {e}")))
}

/// Checks and parses a campaign's material and keys ([`LoadedCampaign::load`]).
#[wasm_bindgen(js_name = loadCampaign)]
pub fn load_campaign(
    material_json: &str,
    public_key: &[u8],
    crs: &[u8],
    circuit_keys_json: &str,
    proving_key: &[u8],
    keyholder_keys: &str,
) -> Result<Campaign, JsError> {
    let material: Material =
        serde_json::from_str(material_json).map_err(|e| JsError::new(&format!("material: {e}")))?;
    let pinned = parse_keys(keyholder_keys).map_err(|e| JsError::new(&e.to_string()))?;
    let pk = PinnedProvingKey::load(&circuit_keys(circuit_keys_json)?, proving_key, &pinned)
        .map_err(|e| JsError::new(&format!("proving key: {e}")))?;
    let public = PublicMaterial {
        public_key: public_key.to_vec(),
        crs: crs.to_vec(),
    };
    LoadedCampaign::load(&material, &public, pk, &pinned)
        .map(Campaign)
        .map_err(|e| JsError::new(&e.to_string()))
}

#[wasm_bindgen]
impl Campaign {
    /// Encrypts, proves and attests one record; returns the submission JSON
    /// to POST to `/api/campaigns/{id}/contributions`. `progress` is called
    /// with `(stage, percent)` as the work advances.
    pub fn prepare(
        &self,
        secret_hex: &str,
        identity_json: &str,
        record_json: &str,
        progress: &js_sys::Function,
    ) -> Result<String, JsError> {
        let identity: IdentityView = serde_json::from_str(identity_json)
            .map_err(|e| JsError::new(&format!("identity: {e}")))?;
        let record: serde_json::Value =
            serde_json::from_str(record_json).map_err(|e| JsError::new(&format!("record: {e}")))?;
        let secret = secret_from_hex(secret_hex)?;
        let mut report = |s: Stage| {
            let _ = progress.call2(
                &JsValue::NULL,
                &JsValue::from_str(s.name()),
                &JsValue::from(s.percent()),
            );
        };
        let submission = self
            .0
            .prepare(&secret, &identity, &record, &mut report)
            .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(&submission).map_err(|e| JsError::new(&e.to_string()))
    }
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Checks a contribution's receipt (JSON) against the identity's own note
/// and returns the note to keep (JSON `{campaign_id, amount, index, claimed}`).
#[wasm_bindgen(js_name = noteFromReceipt)]
pub fn note_from_receipt(secret_hex: &str, receipt_json: &str) -> Result<String, JsError> {
    let secret = secret_from_hex(secret_hex)?;
    let receipt =
        serde_json::from_str(receipt_json).map_err(|e| js_err(format!("receipt: {e}")))?;
    let note = notes::note_from_receipt(&secret, &receipt).map_err(js_err)?;
    serde_json::to_string(&note).map_err(js_err)
}

fn tree_of(pages_json: &str) -> Result<NotesTree, JsError> {
    let pages: Vec<protocol::wire::NotesPage> =
        serde_json::from_str(pages_json).map_err(|e| js_err(format!("notes pages: {e}")))?;
    let mut tree = NotesTree::new();
    let mut complete = pages.is_empty();
    for page in &pages {
        complete = tree.add_page(page).map_err(js_err)?;
    }
    if !complete {
        return Err(JsError::new("the notes download stops before its root"));
    }
    Ok(tree)
}

/// Finds the identity's notes in the notes tree (`pages_json`: every page of
/// `GET /api/notes`, in order) among `campaigns_json` (`[[campaign_id,
/// reward], ...]`): recovery from the identity secret alone.
#[wasm_bindgen(js_name = findNotes)]
pub fn find_notes(
    secret_hex: &str,
    campaigns_json: &str,
    pages_json: &str,
) -> Result<String, JsError> {
    let secret = secret_from_hex(secret_hex)?;
    let campaigns: Vec<(u64, u64)> =
        serde_json::from_str(campaigns_json).map_err(|e| js_err(format!("campaigns: {e}")))?;
    let tree = tree_of(pages_json)?;
    serde_json::to_string(&notes::find_notes(&secret, &campaigns, &tree)).map_err(js_err)
}

/// Proves a claim of `notes_json` (1 to 4 held notes) into the wallet
/// `destination` with the claim circuit's proving key (checked as every one
/// of `keyholder_keys` signed it in `circuit_keys_json`), the paths built
/// from every page of the notes tree; returns the `POST /api/claims` body.
#[wasm_bindgen(js_name = prepareClaim)]
#[allow(clippy::too_many_arguments)]
pub fn prepare_claim(
    circuit_keys_json: &str,
    claim_proving_key: &[u8],
    keyholder_keys: &str,
    secret_hex: &str,
    notes_json: &str,
    pages_json: &str,
    destination: f64,
) -> Result<String, JsError> {
    if !(destination.is_finite() && destination >= 1.0 && destination.fract() == 0.0) {
        return Err(JsError::new("the destination must be an account id"));
    }
    let pinned = parse_keys(keyholder_keys).map_err(js_err)?;
    let pk = PinnedClaimKey::load(
        &circuit_keys(circuit_keys_json)?,
        claim_proving_key,
        &pinned,
    )
    .map_err(|e| js_err(format!("claim proving key: {e}")))?;
    let secret = secret_from_hex(secret_hex)?;
    let held: Vec<HeldNote> =
        serde_json::from_str(notes_json).map_err(|e| js_err(format!("notes: {e}")))?;
    let tree = tree_of(pages_json)?;
    let request =
        notes::prepare_claim(&pk, &secret, &held, &tree, destination as u64).map_err(js_err)?;
    serde_json::to_string(&request).map_err(js_err)
}
