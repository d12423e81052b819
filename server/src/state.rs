//! Process-wide state shared by the handlers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::attestation::AttestationCache;
use crate::contributions::CampaignCrypto;
use crate::registry::Registry;
use keyholder_api::Keyholders;

/// Shared state.
pub struct AppState {
    /// The contributor registry tree.
    pub registry: Registry,
    /// Groth16 keys of the attestation circuit (from the keyholders).
    pub attestation: AttestationCache,
    /// The keyholders (a client per keyholder behind one interface).
    pub keyholder: Arc<dyn Keyholders>,
    /// Parsed key material of campaigns that received submissions.
    pub campaign_crypto: Mutex<HashMap<i64, Arc<CampaignCrypto>>>,
    /// How many recent registry roots a proof may use.
    pub recent_roots: i64,
}
