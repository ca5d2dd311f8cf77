//! Pages: the objects the R-tree indexes are runs of up to [`PAGE_MAX`] nearby points, not
//! single points.
//!
//! rstar's bulk loader (OMT) splits every level at least 2×2×2 in 3-D, so with single points as
//! objects its leaves end up a quarter full and the tree holds ~0.3 parent nodes per point. Here
//! bulk loading sorts the points along a 3-D Hilbert curve over the unit vectors and cuts the
//! sequence into pages of [`PAGE_FILL`]; rstar then indexes only the pages (one per 16 points),
//! and queries scan the points inside a page with a cheap f32 distance test.
//!
//! A page's envelope is the box of its points' f32 vectors. Removing a point leaves the envelope
//! as it was: still a valid (if loose) bound, so the page is changed in place without touching
//! the tree. Adding a point inside the envelope is done in place too; otherwise the page is taken
//! out, grown (split in two along its longest axis past [`PAGE_MAX`]) and put back.

use rstar::{AABB, Envelope, RTreeObject, SelectionFunction};

use super::Entry;

/// Points per page after bulk loading.
pub(super) const PAGE_FILL: usize = 16;
/// A page that would grow past this is split in two.
pub(super) const PAGE_MAX: usize = 32;

/// 40 bytes, so rstar's node enum stays at the 48 bytes of its parent variant.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(super) entries: Box<[Entry]>,
    pub(super) envelope: AABB<[f32; 3]>,
}

impl Page {
    pub(super) fn new(entries: Box<[Entry]>) -> Self {
        debug_assert!(!entries.is_empty());
        let envelope = envelope_of(&entries);
        Self { entries, envelope }
    }

    /// Identifies this page for [`ByPage`] (ids are unique, so the first id is enough with the
    /// envelope to find it quickly).
    pub(super) fn key(&self) -> ByPage {
        ByPage {
            first_id: self.entries[0].id,
            envelope: self.envelope,
        }
    }

    /// The longest side of the box.
    pub(super) fn extent(&self) -> f32 {
        let (lo, hi) = (self.envelope.lower(), self.envelope.upper());
        (0..3).map(|i| hi[i] - lo[i]).fold(0.0, f32::max)
    }

    /// Removes the entry at `i` in place; the envelope stays (a valid, looser bound).
    pub(super) fn remove_at(&mut self, i: usize) -> Entry {
        let mut v = std::mem::take(&mut self.entries).into_vec();
        let e = v.remove(i);
        self.entries = v.into_boxed_slice();
        e
    }

    /// Adds an entry that lies inside the envelope, in place.
    pub(super) fn push_inside(&mut self, e: Entry) {
        debug_assert!(self.envelope.contains_point(&e.xyz));
        let mut v = std::mem::take(&mut self.entries).into_vec();
        v.push(e);
        self.entries = v.into_boxed_slice();
    }

    /// This page with `e` added, as one page or, past [`PAGE_MAX`], two halves split along the
    /// longest axis of their box.
    pub(super) fn with(self, e: Entry) -> (Page, Option<Page>) {
        let mut v = self.entries.into_vec();
        v.push(e);
        if v.len() <= PAGE_MAX {
            return (Page::new(v.into_boxed_slice()), None);
        }
        let env = envelope_of(&v);
        let (lo, hi) = (env.lower(), env.upper());
        let axis = (0..3)
            .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
            .unwrap_or(0);
        v.sort_unstable_by(|a, b| a.xyz[axis].total_cmp(&b.xyz[axis]).then(a.id.cmp(&b.id)));
        let right = v.split_off(v.len() / 2);
        (
            Page::new(v.into_boxed_slice()),
            Some(Page::new(right.into_boxed_slice())),
        )
    }
}

fn envelope_of(entries: &[Entry]) -> AABB<[f32; 3]> {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for e in entries {
        for i in 0..3 {
            lo[i] = lo[i].min(e.xyz[i]);
            hi[i] = hi[i].max(e.xyz[i]);
        }
    }
    AABB::from_corners(lo, hi)
}

impl RTreeObject for Page {
    type Envelope = AABB<[f32; 3]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Selects one page by its key.
#[derive(Debug, Clone, Copy)]
pub(super) struct ByPage {
    first_id: i64,
    envelope: AABB<[f32; 3]>,
}

impl SelectionFunction<Page> for ByPage {
    fn should_unpack_parent(&self, envelope: &AABB<[f32; 3]>) -> bool {
        envelope.contains_envelope(&self.envelope)
    }
    fn should_unpack_leaf(&self, page: &Page) -> bool {
        page.envelope == self.envelope && page.entries[0].id == self.first_id
    }
}

/// Cuts entries into pages of [`PAGE_FILL`] along a 3-D Hilbert curve.
pub(super) fn pack(entries: Vec<Entry>) -> Vec<Page> {
    let mut keyed: Vec<(u64, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (hilbert_key(e.xyz), i as u32))
        .collect();
    keyed.sort_unstable();
    let fill: usize = std::env::var("PAGE_FILL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PAGE_FILL);
    keyed
        .chunks(fill)
        .map(|chunk| Page::new(chunk.iter().map(|&(_, i)| entries[i as usize]).collect()))
        .collect()
}

const HILBERT_BITS: u32 = 21;

/// Position along a 3-D Hilbert curve of 2^21 cells per axis over the cube [-1, 1]³ (Skilling's
/// transpose algorithm). Only the order matters, and only for speed: any order is correct.
fn hilbert_key(v: [f32; 3]) -> u64 {
    let scale = ((1u32 << HILBERT_BITS) - 1) as f32;
    let mut x = v.map(|c| (((c + 1.0) * 0.5).clamp(0.0, 1.0) * scale) as u32);
    let m = 1u32 << (HILBERT_BITS - 1);
    let mut q = m;
    while q > 1 {
        let p = q - 1;
        for i in 0..3 {
            if x[i] & q != 0 {
                x[0] ^= p;
            } else {
                let t = (x[0] ^ x[i]) & p;
                x[0] ^= t;
                x[i] ^= t;
            }
        }
        q >>= 1;
    }
    x[1] ^= x[0];
    x[2] ^= x[1];
    let mut t = 0;
    let mut q = m;
    while q > 1 {
        if x[2] & q != 0 {
            t ^= q - 1;
        }
        q >>= 1;
    }
    for c in &mut x {
        *c ^= t;
    }
    let mut key = 0u64;
    for b in (0..HILBERT_BITS).rev() {
        for c in x {
            key = (key << 1) | ((c >> b) & 1) as u64;
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_fits_in_the_node_rstar_allocates_anyway() {
        assert_eq!(size_of::<Page>(), 40);
        assert_eq!(size_of::<rstar::RTreeNode<Page>>(), 48);
    }

    #[test]
    fn hilbert_neighbours_are_adjacent_cells() {
        // Consecutive keys on a small curve differ by one step along one axis.
        let n = 1u32 << 4;
        let step = 2.0 / ((1u32 << HILBERT_BITS) - 1) as f32 * (1 << (HILBERT_BITS - 4)) as f32;
        let mut cells: Vec<(u64, [u32; 3])> = Vec::new();
        for x in 0..n {
            for y in 0..n {
                for z in 0..n {
                    let v = [x, y, z].map(|c| -1.0 + (c as f32 + 0.5) * step);
                    cells.push((hilbert_key(v) >> (3 * (HILBERT_BITS - 4)), [x, y, z]));
                }
            }
        }
        cells.sort_unstable();
        for w in cells.windows(2) {
            assert_eq!(w[1].0, w[0].0 + 1);
            let d: u32 = (0..3).map(|i| w[0].1[i].abs_diff(w[1].1[i])).sum();
            assert_eq!(d, 1, "{:?} -> {:?}", w[0].1, w[1].1);
        }
    }
}
