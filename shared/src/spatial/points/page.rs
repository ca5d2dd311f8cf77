//! Pages: the objects the R-tree indexes are runs of up to [`PAGE_MAX`] nearby points, not
//! single points.
//!
//! rstar's bulk loader (OMT) splits every level at least 2×2×2 in 3-D, so with single points as
//! objects its leaves end up a quarter full and the tree holds ~0.3 parent nodes per point. Here
//! bulk loading sorts the points along a Hilbert curve over the sphere (see [`hilbert_key`]) and cuts the
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

/// Cuts entries into pages of [`PAGE_FILL`] along the curve of [`hilbert_key`].
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

const HILBERT_BITS: u32 = 20;

/// Position along a space-filling curve over the sphere: the cube face the unit vector points
/// at (as in S2), then a 2-D Hilbert curve of 2^20 cells per axis (≈ 10 m) over the gnomonic projection
/// onto that face. Only the order matters, and only for speed: any order is correct.
///
/// (A 3-D Hilbert curve over the vectors themselves was used before: the sphere cuts its cells
/// in a 2-D slice that the curve enters and leaves many times, so runs of 16 consecutive points
/// were often two or three patches apart, and their pages' boxes large and overlapping.)
fn hilbert_key(v: [f32; 3]) -> u64 {
    let a = v.map(f32::abs);
    let major = if a[0] >= a[1] && a[0] >= a[2] {
        0
    } else if a[1] >= a[2] {
        1
    } else {
        2
    };
    let face = 2 * major as u64 + u64::from(v[major] < 0.0);
    let (s, t) = (v[(major + 1) % 3], v[(major + 2) % 3]);
    let m = a[major].max(f32::MIN_POSITIVE);
    let scale = ((1u32 << HILBERT_BITS) - 1) as f64;
    let cell = |c: f32| ((((c / m) as f64 + 1.0) * 0.5).clamp(0.0, 1.0) * scale) as u32;
    (face << (2 * HILBERT_BITS)) | hilbert_2d(cell(s), cell(t))
}

/// Index of cell (x, y) along a 2-D Hilbert curve of 2^HILBERT_BITS cells per axis.
fn hilbert_2d(mut x: u32, mut y: u32) -> u64 {
    let n = 1u32 << HILBERT_BITS;
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        d += (s as u64) * (s as u64) * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
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
        let step = 1u32 << (HILBERT_BITS - 4);
        let mut cells: Vec<(u64, [u32; 2])> = Vec::new();
        for x in 0..n {
            for y in 0..n {
                cells.push((
                    hilbert_2d(x * step, y * step) >> (2 * (HILBERT_BITS - 4)),
                    [x, y],
                ));
            }
        }
        cells.sort_unstable();
        for w in cells.windows(2) {
            assert_eq!(w[1].0, w[0].0 + 1);
            let d: u32 = (0..2).map(|i| w[0].1[i].abs_diff(w[1].1[i])).sum();
            assert_eq!(d, 1, "{:?} -> {:?}", w[0].1, w[1].1);
        }
    }

    #[test]
    fn keys_start_with_the_face() {
        assert_eq!(hilbert_key([1.0, 0.0, 0.0]) >> (2 * HILBERT_BITS), 0);
        assert_eq!(hilbert_key([-1.0, 0.0, 0.0]) >> (2 * HILBERT_BITS), 1);
        assert_eq!(hilbert_key([0.0, 0.6, -0.8]) >> (2 * HILBERT_BITS), 5);
        assert_eq!(hilbert_key([0.0, 0.8, -0.6]) >> (2 * HILBERT_BITS), 2);
    }
}
