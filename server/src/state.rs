//! Process-wide state shared by the handlers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::attestation::AttestationCache;
use crate::domain::CampaignId;
use crate::http::cached::Cached;
use crate::http::error::ApiError;
use crate::services::contributions::CryptoCache;
use crate::services::registry::Registry;
use keyholder_api::Keyholders;

/// Shared state.
pub struct AppState {
    /// The contributor registry tree.
    pub registry: Registry,
    /// The reward notes tree.
    pub notes: Arc<crate::services::notes::NotesTree>,
    /// Groth16 keys of the attestation circuit (from the keyholders).
    pub attestation: AttestationCache,
    /// The keyholders (a client per keyholder behind one interface).
    pub keyholder: Arc<dyn Keyholders>,
    /// Parsed key material of campaigns that received submissions.
    pub campaign_crypto: Arc<CryptoCache>,
    /// How many recent registry roots a proof may use.
    pub recent_roots: i64,
    /// How long after it was replaced a registry root (or a notes-tree
    /// root, for claims) stays usable, in seconds.
    pub recent_root_secs: i64,
    /// Bounds the submissions verified at once.
    pub verifications: VerificationGate,
    /// Campaigns' material as served (built once per campaign).
    pub material: MaterialCache,
    /// The open campaigns as contributors see them, briefly kept.
    pub open_list: OpenList,
}

/// The list of open campaigns every contributor gets (`GET /api/campaigns`
/// with a contributor's session: the same for all of them), kept for at
/// most `ttl` per page size, so that a crowd of contributors, or a flood,
/// costs one query per `ttl` beyond each request's session check. A
/// campaign's opening, closing, suspension or resumption `clear`s it; a
/// page computed before a `clear` is never stored after it.
pub struct OpenList {
    ttl: std::time::Duration,
    generation: std::sync::atomic::AtomicU64,
    pages: Mutex<HashMap<i64, (std::time::Instant, actix_web::web::Bytes)>>,
}

impl OpenList {
    /// An empty list kept for `ttl` (zero: never kept).
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            generation: Default::default(),
            pages: Mutex::new(HashMap::new()),
        }
    }

    /// The page of at most `limit` campaigns if it is fresh, else the
    /// generation to hand back to [`OpenList::put`] with a new one.
    pub fn get(&self, limit: i64) -> Result<actix_web::web::Bytes, u64> {
        let generation = self.generation.load(std::sync::atomic::Ordering::Acquire);
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        match pages.get(&limit) {
            Some((at, page)) if at.elapsed() < self.ttl => Ok(page.clone()),
            _ => Err(generation),
        }
    }

    /// Keeps `page`, read from the database after `get` returned
    /// `generation`, unless the list was cleared since.
    pub fn put(&self, limit: i64, generation: u64, page: actix_web::web::Bytes) {
        if self.ttl.is_zero() {
            return;
        }
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(std::sync::atomic::Ordering::Acquire) == generation {
            pages.insert(limit, (std::time::Instant::now(), page));
        }
    }

    /// Drops every page: a campaign's status changed.
    pub fn clear(&self) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        pages.clear();
    }
}

/// A campaign's material as served: the JSON and its binary parts.
pub struct CampaignMaterial {
    /// `GET /api/campaigns/{id}/material`.
    pub json: Cached,
    /// `GET /api/campaigns/{id}/material/public-key`.
    pub public_key: Cached,
    /// `GET /api/campaigns/{id}/material/crs`.
    pub crs: Cached,
}

/// Material per campaign, each built at most once even when many requests
/// ask for it at the same moment (they wait for the one build).
#[derive(Default)]
pub struct MaterialCache {
    cells: Mutex<HashMap<CampaignId, Arc<tokio::sync::OnceCell<Arc<CampaignMaterial>>>>>,
}

impl MaterialCache {
    /// The cell of campaign `id` (filled by the first request).
    pub fn cell(
        &self,
        id: CampaignId,
    ) -> Result<Arc<tokio::sync::OnceCell<Arc<CampaignMaterial>>>, ApiError> {
        Ok(self
            .cells
            .lock()
            .map_err(|_| ApiError::internal("material cache lock"))?
            .entry(id)
            .or_default()
            .clone())
    }

    /// Drops campaign `id`'s material (it is no longer served).
    pub fn forget(&self, id: CampaignId) {
        if let Ok(mut cells) = self.cells.lock() {
            cells.remove(&id);
        }
    }
}

/// Bounds concurrent proof verification: `parallel` submissions verify at
/// once, `queue` more may wait; any further one is answered `503 busy`
/// (with `Retry-After`) without doing any work.
pub struct VerificationGate {
    permits: Arc<tokio::sync::Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
    queue: usize,
}

/// Decrements the waiting count when a waiter leaves (served or cancelled).
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl VerificationGate {
    /// A gate for `parallel` verifications (0: one per core) and `queue`
    /// waiters.
    pub fn new(parallel: usize, queue: usize) -> Self {
        let parallel = if parallel == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            parallel
        };
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(parallel)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            queue,
        }
    }

    /// A verification slot, waiting in the queue if there is room.
    pub async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        use std::sync::atomic::Ordering;
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        let ahead = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if ahead >= self.queue {
            return Err(ApiError::busy(
                "too many submissions are being verified; retry shortly",
                1,
            ));
        }
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::OpenList;
    use actix_web::web::Bytes;
    use std::time::Duration;

    #[test]
    fn the_open_list_is_kept_per_page_until_it_expires_or_is_cleared() {
        let list = OpenList::new(Duration::from_millis(200));
        let generation = list.get(100).unwrap_err();
        list.put(100, generation, Bytes::from_static(b"[1]"));
        assert_eq!(list.get(100).unwrap(), Bytes::from_static(b"[1]"));
        // Another page size is another page.
        assert!(list.get(10).is_err());
        // A page read before a clear is not kept after it.
        let stale = list.get(10).unwrap_err();
        list.clear();
        assert!(list.get(100).is_err());
        list.put(10, stale, Bytes::from_static(b"[]"));
        assert!(list.get(10).is_err());
        // Kept no longer than its time.
        let generation = list.get(100).unwrap_err();
        list.put(100, generation, Bytes::from_static(b"[2]"));
        assert!(list.get(100).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(list.get(100).is_err());
        // A zero time keeps nothing.
        let never = OpenList::new(Duration::ZERO);
        let generation = never.get(100).unwrap_err();
        never.put(100, generation, Bytes::from_static(b"[]"));
        assert!(never.get(100).is_err());
    }
}
