//! Accepting a contribution: every check runs before anything is written,
//! cheapest first (size, campaign open, Groth16 attestation, root,
//! nullifier, duplicate ciphertext, escrow, then the ciphertext's
//! conformance and zk-pok); then one transaction stores the ciphertext,
//! records the nullifier, pays the reward into the unclaimed-rewards
//! account and appends the reward note to the notes tree. A submission
//! names no account: its attestation binds a note key, and the contributor
//! claims the note later (`services::notes`). No pooled
//! connection is held while a proof is verified: the database phases and
//! the CPU phases alternate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::PgConnection;
use fhe_compute::keys::{proof_metadata, PublicMaterial};
use fhe_compute::ContributionError;
use protocol::attestation::{self, fr_from_bytes, Fr, Tier, VerifyingKey, PUBLIC_INPUTS};
use protocol::record::layout;
use protocol::wire::{Receipt, Submission};
use protocol::{CampaignSchema, TokenAmount};
use tfhe::zk::CompactPkeCrs;
use tfhe::CompactPublicKey;

use super::campaigns::max_contributions;
use crate::domain::CampaignId;
use crate::store::campaigns::{self as campaigns, Status};
use crate::store::contributions::{self as store, NewContribution, DIGEST_UNIQUE};
use crate::store::ledger::{self, AccountId, LedgerError, TransferKind};
use crate::store::registry;
use crate::store::tx::{self, PgPool, Retryable, Unavailable};

/// Why a submission was refused (or could not be handled).
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// No such campaign.
    #[error("campaign {0} does not exist")]
    CampaignNotFound(CampaignId),
    /// The campaign does not accept contributions now.
    #[error("campaign {id} is {}, not open", .status.as_str())]
    CampaignNotOpen {
        /// The campaign.
        id: CampaignId,
        /// Its state.
        status: Status,
    },
    /// The campaign left `open` between the checks and the transaction.
    #[error("the campaign closed meanwhile")]
    ClosedMeanwhile,
    /// The campaign's budget-sized bound is reached.
    #[error("the campaign accepts at most {0} contributions")]
    CampaignFull(u64),
    /// The ciphertext field is not base64.
    #[error("ciphertext must be base64")]
    CiphertextNotBase64,
    /// The ciphertext list is too large, malformed, of the wrong layout or
    /// its zk-pok does not verify.
    #[error(transparent)]
    Ciphertext(#[from] ContributionError),
    /// Not exactly the circuit's number of public inputs.
    #[error("the attestation needs exactly {PUBLIC_INPUTS} public inputs, got {0}")]
    PublicInputCount(usize),
    /// A public input or the proof does not decode.
    #[error("{0}")]
    AttestationMalformed(String),
    /// The attestation names another campaign.
    #[error("the attestation is for another campaign")]
    WrongCampaign,
    /// The attestation's leaf is not of the tier the campaign admits.
    #[error("this campaign admits {} identities only: prove membership through that leaf", .0.as_str())]
    WrongTier(Tier),
    /// The attestation is bound to other bytes or another note key.
    #[error("the attestation is bound to other ciphertext bytes or another note key")]
    BindingMismatch,
    /// The Groth16 proof does not verify.
    #[error("the eligibility proof does not verify")]
    AttestationInvalid,
    /// The note key is not a field element.
    #[error("note_key must be 64 hex characters of a field element")]
    InvalidNoteKey,
    /// The reward note could not be appended.
    #[error(transparent)]
    Notes(#[from] super::notes::NotesError),
    /// The root is not among the recent announced ones.
    #[error(
        "the registry root is unknown, too old, or not yet confirmed by every keyholder; \
         fetch a fresh path and retry"
    )]
    StaleRoot,
    /// The nullifier was used for this campaign.
    #[error("this contributor already contributed to this campaign")]
    NullifierUsed,
    /// The same ciphertext was contributed to this campaign.
    #[error("this ciphertext was already contributed to this campaign")]
    CiphertextDuplicate,
    /// The escrow cannot pay the reward.
    #[error("the campaign's escrow cannot pay another reward")]
    EscrowEmpty,
    /// The reward is not a valid amount.
    #[error(transparent)]
    Amount(#[from] protocol::AmountError),
    /// Stored key material or schema that does not parse.
    #[error("{0}")]
    Corrupt(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The database was not reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for SubmissionError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Db(e) => tx::is_transient(e),
            Self::Ledger(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// Parsed key material of one campaign: what verifying its submissions needs.
pub struct CampaignCrypto {
    /// The campaign's compact public key.
    pub public_key: CompactPublicKey,
    /// The campaign's CRS.
    pub crs: CompactPkeCrs,
    /// zk-pok metadata (campaign id, schema version, key fingerprint).
    pub metadata: Vec<u8>,
    /// Entry widths of one record.
    pub layout: Vec<u32>,
}

/// The parsed key material of the campaigns that received submissions, for
/// the life of the process (a campaign's keys never change).
#[derive(Default)]
pub struct CryptoCache(Mutex<HashMap<CampaignId, Arc<CampaignCrypto>>>);

impl CryptoCache {
    /// Campaign `id`'s material, when parsed already.
    pub fn get(&self, id: CampaignId) -> Option<Arc<CampaignCrypto>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// Keeps campaign `id`'s parsed material.
    pub fn insert(&self, id: CampaignId, crypto: Arc<CampaignCrypto>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, crypto);
    }
}

/// Which registry roots a proof may use.
#[derive(Debug, Clone, Copy)]
pub struct RootWindow {
    /// At most this many of the newest announced roots.
    pub count: i64,
    /// An older root while the root that replaced it is younger than this, in seconds.
    pub max_age_secs: i64,
}

/// What accepting a submission needs besides the database.
pub struct Acceptor {
    /// Parsed campaign material.
    pub crypto: Arc<CryptoCache>,
    /// The attestation circuit's verifying key.
    pub verifying_key: Arc<dyn AsRef<VerifyingKey> + Send + Sync>,
    /// The usable registry roots.
    pub roots: RootWindow,
    /// The notes tree (its root is recorded after each acceptance).
    pub notes: Arc<super::notes::NotesTree>,
}

/// A campaign's terms for this submission: its parsed material, the
/// reward and the bound on contributions.
struct Open {
    crypto: Arc<CampaignCrypto>,
    reward: i64,
    max_contributions: u64,
    eligibility: Tier,
}

/// Loads (or takes from the cache) the parsed key material of an open campaign.
fn open_campaign(
    cache: &CryptoCache,
    conn: &mut PgConnection,
    id: CampaignId,
) -> Result<Open, SubmissionError> {
    let t = campaigns::terms(conn, id)?.ok_or(SubmissionError::CampaignNotFound(id))?;
    if t.status != Status::Open {
        return Err(SubmissionError::CampaignNotOpen {
            id,
            status: t.status,
        });
    }
    let max_contributions = max_contributions(t.budget, t.reward);
    let eligibility = Tier::parse(&t.eligibility).ok_or_else(|| {
        SubmissionError::Corrupt(format!("stored eligibility {:?}", t.eligibility))
    })?;
    if let Some(crypto) = cache.get(id) {
        return Ok(Open {
            crypto,
            reward: t.reward,
            max_contributions,
            eligibility,
        });
    }
    let corrupt =
        |e: &dyn std::fmt::Display| SubmissionError::Corrupt(format!("campaign {id}: {e}"));
    let (public_key, crs) =
        campaigns::keys(conn, id)?.ok_or_else(|| corrupt(&"an open campaign without keys"))?;
    let material = PublicMaterial { public_key, crs };
    let schema = CampaignSchema::parse(serde_json::from_value(t.schema).map_err(|e| corrupt(&e))?)
        .map_err(|e| corrupt(&e))?;
    let crypto = Arc::new(CampaignCrypto {
        public_key: material.public_key().map_err(|e| corrupt(&e))?,
        crs: material.crs().map_err(|e| corrupt(&e))?,
        metadata: proof_metadata(
            id.get() as u64,
            t.schema_version as u32,
            &material.key_fingerprint(),
        ),
        layout: layout(&schema),
    });
    cache.insert(id, crypto.clone());
    Ok(Open {
        crypto,
        reward: t.reward,
        max_contributions,
        eligibility,
    })
}

fn parse_inputs(wire: &[String]) -> Result<Vec<Fr>, SubmissionError> {
    if wire.len() != PUBLIC_INPUTS {
        return Err(SubmissionError::PublicInputCount(wire.len()));
    }
    wire.iter()
        .map(|h| {
            let bytes = hex::decode(h).map_err(|_| {
                SubmissionError::AttestationMalformed("public inputs are hex".into())
            })?;
            fr_from_bytes(&bytes)
                .map_err(|e| SubmissionError::AttestationMalformed(format!("public input: {e}")))
        })
        .collect()
}

/// What the cheap checks established about a submission.
struct Attested {
    ciphertext: Vec<u8>,
    digest: [u8; 32],
    note_key: Fr,
    root: Vec<u8>,
    nullifier: Vec<u8>,
    proof: Vec<u8>,
}

/// CPU only, no connection: size, digest, and the Groth16 attestation
/// (exact public inputs, this campaign, bound to these bytes and this
/// note key).
fn attest(
    vk: &VerifyingKey,
    crypto: &CampaignCrypto,
    campaign_id: CampaignId,
    eligibility: Tier,
    sub: &Submission,
) -> Result<Attested, SubmissionError> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    let ciphertext = STANDARD
        .decode(&sub.ciphertext)
        .map_err(|_| SubmissionError::CiphertextNotBase64)?;
    let max = fhe_compute::contribution::max_list_bytes(crypto.layout.len());
    if ciphertext.len() > max {
        return Err(ContributionError::TooLarge {
            got: ciphertext.len(),
            max,
        }
        .into());
    }
    let digest: [u8; 32] = Sha256::digest(&ciphertext).into();
    let inputs = parse_inputs(&sub.attestation.public_inputs)?;
    let note_key =
        attestation::fr_from_hex(&sub.note_key).map_err(|_| SubmissionError::InvalidNoteKey)?;
    if inputs[2] != Fr::from(campaign_id.get() as u64) {
        return Err(SubmissionError::WrongCampaign);
    }
    // Membership through a leaf of the tier the campaign admits (a verified
    // campaign refuses an open leaf; an open one, a verified leaf, which
    // every verified identity has an open twin of).
    if Tier::from_field(inputs[4]) != Some(eligibility) {
        return Err(SubmissionError::WrongTier(eligibility));
    }
    if inputs[3] != attestation::binding(&digest, note_key) {
        return Err(SubmissionError::BindingMismatch);
    }
    let proof = STANDARD
        .decode(&sub.attestation.proof)
        .map_err(|_| SubmissionError::AttestationMalformed("proof must be base64".into()))?;
    attestation::verify_raw(vk, &proof, &inputs).map_err(|e| match e {
        attestation::AttestationError::InvalidProof => SubmissionError::AttestationInvalid,
        other => SubmissionError::AttestationMalformed(other.to_string()),
    })?;
    Ok(Attested {
        ciphertext,
        digest,
        note_key,
        root: attestation::fr_to_bytes(&inputs[0]).to_vec(),
        nullifier: attestation::fr_to_bytes(&inputs[1]).to_vec(),
        proof,
    })
}

/// Lookups after the attestation: the root among the recent roots every
/// keyholder computed (the keyholders refuse any other at release), the
/// nullifier unused and the ciphertext new for this campaign, the escrow
/// able to pay. Answers the escrow account.
fn lookups(
    conn: &mut PgConnection,
    roots: RootWindow,
    campaign_id: CampaignId,
    a: &Attested,
    reward: i64,
) -> Result<AccountId, SubmissionError> {
    let recent = registry::recent_roots(conn, roots.count, roots.max_age_secs)?;
    if !recent.contains(&a.root) {
        return Err(SubmissionError::StaleRoot);
    }
    if store::nullifier_used(conn, campaign_id, &a.nullifier)? {
        return Err(SubmissionError::NullifierUsed);
    }
    if store::digest_taken(conn, campaign_id, &a.digest)? {
        return Err(SubmissionError::CiphertextDuplicate);
    }
    let escrow = ledger::escrow_of(conn, campaign_id)?;
    if ledger::balance(conn, escrow)? < reward {
        return Err(SubmissionError::EscrowEmpty);
    }
    Ok(escrow)
}

/// Runs every check, cheapest first, and, if all pass, the accepting
/// transaction: campaign open (cached key material) → Groth16 attestation
/// → root, nullifier and duplicate-ciphertext lookups → conformance and
/// zk-pok (the expensive check) → one transaction.
pub async fn accept(
    pool: &PgPool,
    acceptor: Acceptor,
    campaign_id: CampaignId,
    sub: Submission,
) -> Result<Receipt, SubmissionError> {
    let started = std::time::Instant::now();
    let cache = acceptor.crypto.clone();
    let open = tx::with_conn(pool, move |conn| open_campaign(&cache, conn, campaign_id)).await?;
    let t_campaign = started.elapsed();
    let (c, vk, eligibility) = (
        open.crypto.clone(),
        acceptor.verifying_key.clone(),
        open.eligibility,
    );
    let attested =
        tx::blocking(move || attest(vk.as_ref().as_ref(), &c, campaign_id, eligibility, &sub))
            .await?;
    let t_groth16 = started.elapsed();
    let a = Arc::new(attested);
    let (a2, roots, reward) = (a.clone(), acceptor.roots, open.reward);
    let escrow = tx::with_conn(pool, move |conn| {
        lookups(conn, roots, campaign_id, &a2, reward)
    })
    .await?;
    let t_lookups = started.elapsed();
    let (a2, crypto) = (a.clone(), open.crypto.clone());
    tx::blocking(move || {
        fhe_compute::verify_contribution(
            &a2.ciphertext,
            &crypto.layout,
            &crypto.public_key,
            &crypto.crs,
            &crypto.metadata,
        )
        .map_err(SubmissionError::from)
    })
    .await?;
    let t_zk = started.elapsed();
    let amount = TokenAmount::parse(reward)?;
    let max = open.max_contributions;
    let receipt = tx::with_conn(pool, move |conn| {
        tx::run_tx_sync(conn, "accept_contribution", |c| {
            store_accepted(c, campaign_id, &a, escrow, amount, max)
        })
    })
    .await?;
    // Record the notes tree's new root (any process may; a failure here
    // only delays it to the next read of the tree).
    let notes = acceptor.notes.clone();
    if let Err(e) = tx::with_conn(pool, move |conn| notes.sync(conn)).await {
        tracing::warn!("could not record the notes root: {e}");
    }
    tracing::debug!(
        campaign = ?t_campaign,
        groth16 = ?(t_groth16 - t_campaign),
        lookups = ?(t_lookups - t_groth16),
        zk = ?(t_zk - t_lookups),
        tx = ?(started.elapsed() - t_zk),
        "contribution accepted"
    );
    Ok(receipt)
}

/// The accepting transaction: the campaign still open, the reward paid
/// into the unclaimed-rewards account and its note appended to the notes
/// tree, the contribution bound checked, the contribution stored with its
/// nullifier, root, proof and note key (no account). A concurrent duplicate (same nullifier or
/// same ciphertext) loses on the unique indexes and pays nothing.
fn store_accepted(
    c: &mut PgConnection,
    campaign_id: CampaignId,
    a: &Attested,
    escrow: AccountId,
    amount: TokenAmount,
    max_contributions: u64,
) -> Result<Receipt, SubmissionError> {
    // The campaign row's lock orders concurrent acceptances (and status
    // changes, which lock it the same way) one at a time.
    let (status, accepted) = campaigns::lock_acceptance(c, campaign_id)?;
    if status != Status::Open {
        return Err(SubmissionError::ClosedMeanwhile);
    }
    let unclaimed = ledger::unclaimed_account(c)?;
    let t = ledger::transfer(
        c,
        escrow,
        unclaimed,
        amount,
        TransferKind::ContributionReward,
        &format!("campaign {campaign_id}"),
    )
    .map_err(|e| match e {
        LedgerError::InsufficientFunds { .. } => SubmissionError::EscrowEmpty,
        other => other.into(),
    })?;
    // The statistics' overflow bound (counted under the row lock).
    if accepted as u64 >= max_contributions {
        return Err(SubmissionError::CampaignFull(max_contributions));
    }
    let (note_index, note_commitment) = super::notes::append(c, a.note_key, amount.get() as u64)?;
    let note_key = attestation::fr_to_bytes(&a.note_key);
    let id = store::insert(
        c,
        &NewContribution {
            campaign_id,
            ciphertext: &a.ciphertext,
            digest: &a.digest,
            nullifier: &a.nullifier,
            registry_root: &a.root,
            note_key: &note_key,
            note_index,
            transfer_id: t.id,
            attestation_proof: &a.proof,
        },
    )
    .map_err(|e| {
        if tx::is_unique_violation(&e, DIGEST_UNIQUE) {
            SubmissionError::CiphertextDuplicate
        } else if matches!(
            e,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )
        ) {
            SubmissionError::NullifierUsed
        } else {
            e.into()
        }
    })?;
    campaigns::set_accepted(c, campaign_id, accepted + 1)?;
    Ok(Receipt {
        contribution_id: id,
        campaign_id: campaign_id.get(),
        digest: hex::encode(a.digest),
        transfer_id: t.id,
        reward: amount.get(),
        note_index: note_index as u64,
        note_commitment: attestation::fr_to_hex(&note_commitment),
    })
}

/// Counts a refused submission by its code (quality signals); a failure to
/// count is logged, never answered.
pub async fn record_rejection(pool: &PgPool, campaign_id: CampaignId, code: &'static str) {
    let r = tx::with_conn(pool, move |conn| {
        store::record_rejection(conn, campaign_id, code).map_err(SubmissionError::from)
    })
    .await;
    if let Err(e) = r {
        tracing::warn!("could not record a rejection: {e}");
    }
}
