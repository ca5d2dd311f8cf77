//! The point index: customers and prospects on a geodesic R-tree.
//!
//! Each point is stored once, as a 40-byte entry in a page of up to 32 nearby points (see
//! [`page`]): its 3-D unit vector (f32), its id, its position in fixed point (1e-7°, ≈1.1 cm,
//! as OpenStreetMap stores positions) and its filter attributes. The pages of a bulk load sit
//! in a static packed tree ([`packed`]), pages made or grown since in an [`rstar::RTree`];
//! queries search both. The f32 vectors (error ≤ 0.4 m) only steer the search: every query widens its
//! bound by [`CHORD_SLACK`] and then decides and ranks by the haversine distance from the
//! fixed-point position, so results are exact (and equal a brute-force scan), not approximate.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

mod packed;
mod page;
use packed::Packed;
use page::Page;

use rstar::{
    AABB, ParentNode, RStarInsertionStrategy, RTree, RTreeNode, RTreeParams, SelectionFunction,
};

use super::SpatialError;
use super::bbox::LonLatBox;
use super::region::Region;
use super::sphere::{Arc, HaversineFrom, chord_for_distance_m, unit_vector};
use crate::LonLat;
use crate::domain::{AccountKind, AccountStatus};

/// The attributes a query can filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointAttrs {
    pub kind: AccountKind,
    pub status: AccountStatus,
    /// The rep who owns the account, if any.
    pub owner: Option<i64>,
    /// Visited in the current cycle (what "not yet visited" filters on).
    pub visited: bool,
}

/// One customer or prospect as the index holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexedPoint {
    pub id: i64,
    /// As stored: rounded to 1e-7° (≈1.1 cm).
    pub position: LonLat,
    pub attrs: PointAttrs,
}

impl IndexedPoint {
    pub fn new(id: i64, position: LonLat, attrs: PointAttrs) -> Self {
        Self {
            id,
            position,
            attrs,
        }
    }
}

/// A query result with its great-circle distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub point: IndexedPoint,
    pub distance_m: f64,
}

/// A point near a route: its distance in metres to the nearest leg, and that leg's index
/// (leg `i` joins route positions `i` and `i + 1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteHit {
    pub point: IndexedPoint,
    pub distance_m: f64,
    pub leg: usize,
}

/// A predicate over points; closures `Fn(&IndexedPoint) -> bool` and [`Filter`] implement it.
pub trait PointFilter {
    fn matches(&self, point: &IndexedPoint) -> bool;

    /// True only if [`PointFilter::matches`] holds for every point; lets queries skip the
    /// per-candidate test.
    fn matches_everything(&self) -> bool {
        false
    }
}

impl<F: Fn(&IndexedPoint) -> bool> PointFilter for F {
    fn matches(&self, point: &IndexedPoint) -> bool {
        self(point)
    }
}

/// Who may own a matching point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnerFilter {
    #[default]
    Any,
    Unowned,
    OwnedBy(i64),
    /// "Owned by nobody or by me".
    UnownedOrOwnedBy(i64),
}

/// The common filters in one value; `Filter::default()` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<AccountKind>,
    /// Empty means any status.
    pub statuses: Vec<AccountStatus>,
    pub owner: OwnerFilter,
    pub visited: Option<bool>,
}

impl PointFilter for Filter {
    fn matches_everything(&self) -> bool {
        self.kind.is_none()
            && self.statuses.is_empty()
            && self.visited.is_none()
            && self.owner == OwnerFilter::Any
    }

    fn matches(&self, p: &IndexedPoint) -> bool {
        let a = &p.attrs;
        self.kind.is_none_or(|k| k == a.kind)
            && (self.statuses.is_empty() || self.statuses.contains(&a.status))
            && self.visited.is_none_or(|v| v == a.visited)
            && match self.owner {
                OwnerFilter::Any => true,
                OwnerFilter::Unowned => a.owner.is_none(),
                OwnerFilter::OwnedBy(o) => a.owner == Some(o),
                OwnerFilter::UnownedOrOwnedBy(o) => a.owner.is_none() || a.owner == Some(o),
            }
    }
}

/// How far (in unit-sphere chord) the f32 search bounds are widened: the f32 rounding of a
/// unit vector is ≤ 6e-8 per component, so 1e-6 (≈ 6 m) is ample.
pub const CHORD_SLACK: f64 = 1e-6;

const FLAG_OWNER: u8 = 1;
const FLAG_VISITED: u8 = 2;
const E7: f64 = 1e7;

/// A leaf: 40 bytes (see the module docs). A dedicated type rather than `GeomWithData` so the
/// id and attributes pack around the 12-byte vector without padding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    xyz: [f32; 3],
    lon_e7: i32,
    lat_e7: i32,
    id: i64,
    owner: i64,
    kind: AccountKind,
    status: AccountStatus,
    flags: u8,
}

impl Entry {
    fn new(p: &IndexedPoint) -> Self {
        let lon_e7 = (p.position.lon() * E7).round() as i32;
        let lat_e7 = (p.position.lat() * E7).round() as i32;
        let v = unit_vector(decode(lon_e7, lat_e7));
        let a = p.attrs;
        Self {
            xyz: [v[0] as f32, v[1] as f32, v[2] as f32],
            lon_e7,
            lat_e7,
            id: p.id,
            owner: a.owner.unwrap_or(0),
            kind: a.kind,
            status: a.status,
            flags: if a.owner.is_some() { FLAG_OWNER } else { 0 }
                | if a.visited { FLAG_VISITED } else { 0 },
        }
    }

    #[inline]
    fn position(&self) -> LonLat {
        decode(self.lon_e7, self.lat_e7)
    }

    #[inline]
    fn point(&self) -> IndexedPoint {
        IndexedPoint {
            id: self.id,
            position: self.position(),
            attrs: PointAttrs {
                kind: self.kind,
                status: self.status,
                owner: (self.flags & FLAG_OWNER != 0).then_some(self.owner),
                visited: self.flags & FLAG_VISITED != 0,
            },
        }
    }

    fn cell(&self) -> u32 {
        cell_of(self.lon_e7, self.lat_e7)
    }
}

#[inline]
fn decode(lon_e7: i32, lat_e7: i32) -> LonLat {
    // |lon_e7| ≤ 1.8e9 and |lat_e7| ≤ 9e8 because they were rounded from valid positions.
    LonLat::new_unchecked(lon_e7 as f64 / E7, lat_e7 as f64 / E7)
}

impl Entry {
    /// Squared chord (f32) from `q` to this point's vector.
    #[inline]
    fn d2(&self, q: &[f32; 3]) -> f32 {
        let d = [self.xyz[0] - q[0], self.xyz[1] - q[1], self.xyz[2] - q[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

/// Wider nodes than rstar's default (6): fewer parent nodes and shallower trees. The tree's
/// objects are pages of points (see [`page`]), not single points.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params;
impl RTreeParams for Params {
    const MIN_SIZE: usize = 8;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// A cell of about 730 m × 365 m (2^16 × 2^15 units of 1e-7°): what the id map remembers of a
/// point's position, enough to find its leaf again.
fn cell_of(lon_e7: i32, lat_e7: i32) -> u32 {
    let x = ((lon_e7 as i64 + 1_800_000_000) >> 16) as u32;
    let y = ((lat_e7 as i64 + 900_000_000) >> 15) as u32;
    (x << 16) | y
}

fn cell_box(cell: u32) -> LonLatBox {
    let (x, y) = ((cell >> 16) as i64, (cell & 0xFFFF) as i64);
    let west = ((x << 16) - 1_800_000_000) as f64 / E7;
    let east = ((((x + 1) << 16) - 1 - 1_800_000_000).min(1_800_000_000)) as f64 / E7;
    let south = ((y << 15) - 900_000_000) as f64 / E7;
    let north = ((((y + 1) << 15) - 1 - 900_000_000).min(900_000_000)) as f64 / E7;
    LonLatBox::from_valid(west, south, east, north)
}

fn f32_box(lo: [f64; 3], hi: [f64; 3], pad: f64) -> AABB<[f32; 3]> {
    let down = |v: f64| (v - pad) as f32;
    let up = |v: f64| (v + pad) as f32;
    AABB::from_corners(
        [down(lo[0]), down(lo[1]), down(lo[2])],
        [up(hi[0]), up(hi[1]), up(hi[2])],
    )
}

const TOMBSTONE: u32 = u32::MAX;

/// id → cell, compactly: a sorted array of 12-byte slots built at bulk load, plus a hash map
/// of the changes since, merged back into the array when it grows past 1/16 of it.
#[derive(Debug, Clone, Default)]
struct IdMap {
    base: Vec<Slot>,
    overlay: HashMap<i64, u32>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    id_lo: u32,
    id_hi: i32,
    cell: u32,
}

impl Slot {
    fn new(id: i64, cell: u32) -> Self {
        Self {
            id_lo: id as u32,
            id_hi: (id >> 32) as i32,
            cell,
        }
    }
    fn id(&self) -> i64 {
        ((self.id_hi as i64) << 32) | self.id_lo as i64
    }
}

impl IdMap {
    fn from_sorted(base: Vec<Slot>) -> Self {
        Self {
            base,
            overlay: HashMap::new(),
        }
    }

    fn base_get(&self, id: i64) -> Option<u32> {
        self.base
            .binary_search_by_key(&id, Slot::id)
            .ok()
            .map(|i| self.base[i].cell)
    }

    fn get(&self, id: i64) -> Option<u32> {
        match self.overlay.get(&id) {
            Some(&TOMBSTONE) => None,
            Some(&cell) => Some(cell),
            None => self.base_get(id),
        }
    }

    fn set(&mut self, id: i64, cell: u32) {
        self.overlay.insert(id, cell);
        self.maybe_compact();
    }

    fn remove(&mut self, id: i64) {
        if self.base_get(id).is_some() {
            self.overlay.insert(id, TOMBSTONE);
        } else {
            self.overlay.remove(&id);
        }
        self.maybe_compact();
    }

    fn maybe_compact(&mut self) {
        if self.overlay.len() <= 1024 + self.base.len() / 16 {
            return;
        }
        let mut changes: Vec<(i64, u32)> = self.overlay.drain().collect();
        changes.sort_unstable_by_key(|c| c.0);
        let mut merged = Vec::with_capacity(self.base.len() + changes.len());
        let mut changes = changes.into_iter().peekable();
        for slot in &self.base {
            while let Some(&(id, cell)) = changes.peek() {
                if id >= slot.id() {
                    break;
                }
                if cell != TOMBSTONE {
                    merged.push(Slot::new(id, cell));
                }
                changes.next();
            }
            match changes.peek() {
                Some(&(id, cell)) if id == slot.id() => {
                    if cell != TOMBSTONE {
                        merged.push(Slot::new(id, cell));
                    }
                    changes.next();
                }
                _ => merged.push(*slot),
            }
        }
        merged.extend(
            changes
                .filter(|c| c.1 != TOMBSTONE)
                .map(|(id, cell)| Slot::new(id, cell)),
        );
        merged.shrink_to_fit();
        self.base = merged;
    }

    fn heap_bytes(&self) -> usize {
        // hashbrown: one (key, value) bucket plus one control byte per bucket.
        let buckets = if self.overlay.capacity() == 0 {
            0
        } else {
            (self.overlay.capacity() * 8 / 7).next_power_of_two()
        };
        self.base.capacity() * size_of::<Slot>() + buckets * (size_of::<(i64, u32)>() + 1)
    }
}

/// Descends only into nodes that can hold a point of `cell`, and picks the page with `id`.
struct ById {
    id: i64,
    envelope: AABB<[f32; 3]>,
}

impl ById {
    fn new(id: i64, cell: u32) -> Self {
        let (lo, hi) = cell_box(cell).unit_sphere_aabb();
        Self {
            id,
            envelope: f32_box(lo, hi, CHORD_SLACK),
        }
    }
}

impl SelectionFunction<Page> for ById {
    fn should_unpack_parent(&self, envelope: &AABB<[f32; 3]>) -> bool {
        boxes_meet(envelope, &self.envelope)
    }
    fn should_unpack_leaf(&self, page: &Page) -> bool {
        boxes_meet(&page.envelope, &self.envelope) && page.entries.iter().any(|e| e.id == self.id)
    }
}

/// Squared distance (f32) from `q` to a box, 0 inside. Written out rather than rstar's
/// `Envelope::distance_2`, whose generic per-component closures do not fully inline and cost
/// more than the rest of a query together (callgrind).
#[inline]
fn box_d2(env: &AABB<[f32; 3]>, q: &[f32; 3]) -> f32 {
    let (lo, hi) = (env.lower(), env.upper());
    let mut d2 = 0.0;
    for i in 0..3 {
        let d = (lo[i] - q[i]).max(q[i] - hi[i]).max(0.0);
        d2 += d * d;
    }
    d2
}

#[inline]
fn boxes_meet(a: &AABB<[f32; 3]>, b: &AABB<[f32; 3]>) -> bool {
    let (al, ah, bl, bh) = (a.lower(), a.upper(), b.lower(), b.upper());
    (0..3).all(|i| al[i] <= bh[i] && bl[i] <= ah[i])
}

#[inline]
fn box_holds(env: &AABB<[f32; 3]>, p: &[f32; 3]) -> bool {
    let (lo, hi) = (env.lower(), env.upper());
    (0..3).all(|i| lo[i] <= p[i] && p[i] <= hi[i])
}

#[inline]
fn child_d2(child: &RTreeNode<Page>, q: &[f32; 3]) -> f32 {
    match child {
        RTreeNode::Parent(p) => box_d2(&p.envelope(), q),
        RTreeNode::Leaf(page) => box_d2(&page.envelope, q),
    }
}

/// A node or page waiting in the nearest-neighbour queue, nearest first.
struct Queued<'a>(f32, &'a RTreeNode<Page>);
impl PartialEq for Queued<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Queued<'_> {}
impl PartialOrd for Queued<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0)
    }
}

/// Visits every page whose box is within squared chord `r2` of `q`.
fn pages_within<'a>(
    node: &'a ParentNode<Page>,
    q: &[f32; 3],
    r2: f32,
    visit: &mut impl FnMut(&'a Page),
) {
    for child in node.children() {
        match child {
            RTreeNode::Parent(p) => {
                if box_d2(&p.envelope(), q) <= r2 {
                    pages_within(p, q, r2, visit);
                }
            }
            RTreeNode::Leaf(page) => {
                if box_d2(&page.envelope, q) <= r2 {
                    visit(page);
                }
            }
        }
    }
}

/// Visits every page whose box meets `envelope`.
fn pages_meeting<'a>(
    node: &'a ParentNode<Page>,
    envelope: &AABB<[f32; 3]>,
    visit: &mut impl FnMut(&'a Page),
) {
    for child in node.children() {
        match child {
            RTreeNode::Parent(p) => {
                if boxes_meet(&p.envelope(), envelope) {
                    pages_meeting(p, envelope, visit);
                }
            }
            RTreeNode::Leaf(page) => {
                if boxes_meet(&page.envelope, envelope) {
                    visit(page);
                }
            }
        }
    }
}

/// The page whose box is nearest to `q` (one containing it if any), with that squared distance.
fn nearest_page<'a>(tree: &'a RTree<Page, Params>, q: &[f32; 3]) -> Option<(&'a Page, f32)> {
    let mut queue: BinaryHeap<Queued> = BinaryHeap::with_capacity(32);
    let mut children = tree.root().children();
    loop {
        for child in children {
            queue.push(Queued(child_d2(child, q), child));
        }
        match queue.pop()? {
            Queued(_, RTreeNode::Parent(p)) => children = p.children(),
            Queued(d2, RTreeNode::Leaf(page)) => return Some((page, d2)),
        }
    }
}

/// k-nearest search over the dynamic tree, as [`Packed::nearest`]: when no bound is set yet,
/// it first follows the nearest child down to one page, so the best-first search below queues
/// few nodes.
fn tree_nearest<'a>(
    tree: &'a RTree<Page, Params>,
    q: &[f32; 3],
    limit: &mut f32,
    scan: &mut impl FnMut(&'a Page, &mut f32),
) {
    let mut seed: Option<&Page> = None;
    let mut node = tree.root();
    while *limit == f32::MAX {
        let mut nearest = None;
        let mut best = f32::INFINITY;
        for child in node.children() {
            let d2 = child_d2(child, q);
            if d2 < best || nearest.is_none() {
                best = d2;
                nearest = Some(child);
            }
        }
        match nearest {
            Some(RTreeNode::Parent(p)) => node = p,
            Some(RTreeNode::Leaf(page)) => {
                scan(page, limit);
                seed = Some(page);
                break;
            }
            None => break,
        }
    }
    let mut queue: BinaryHeap<Queued> = BinaryHeap::with_capacity(32);
    let mut children = tree.root().children();
    loop {
        for child in children {
            if let RTreeNode::Leaf(page) = child
                && seed.is_some_and(|s| std::ptr::eq(s, page))
            {
                continue;
            }
            let d2 = child_d2(child, q);
            if d2 <= *limit {
                queue.push(Queued(d2, child));
            }
        }
        let Some(Queued(d2, node)) = queue.pop() else {
            break;
        };
        if d2 > *limit {
            break;
        }
        match node {
            RTreeNode::Parent(p) => children = p.children(),
            RTreeNode::Leaf(page) => {
                children = &[];
                scan(page, limit);
            }
        }
    }
}

impl PointIndex {
    /// Visits every page, packed or dynamic, whose box meets `envelope`.
    fn pages_meeting<'a>(&'a self, envelope: &AABB<[f32; 3]>, visit: &mut impl FnMut(&'a Page)) {
        self.packed.pages_meeting(envelope, visit);
        pages_meeting(self.tree.root(), envelope, visit);
    }

    /// Every entry whose f32 vector lies in `envelope`.
    fn entries_in(&self, envelope: AABB<[f32; 3]>) -> Vec<&Entry> {
        let mut out = Vec::new();
        self.pages_meeting(&envelope, &mut |page| {
            out.extend(page.entries.iter().filter(|e| box_holds(&envelope, &e.xyz)));
        });
        out
    }

    /// The entry with this id, whose position is in `cell`: where it is, and the entry.
    fn locate(&self, id: i64, cell: u32) -> Option<(Place, &Entry)> {
        let by_id = ById::new(id, cell);
        let holds = |page: &Page| page.entries.iter().any(|e| e.id == id);
        if let Some(p) = self.packed.find(&by_id.envelope, holds) {
            let e = self.packed.pages[p].entries.iter().find(|e| e.id == id)?;
            return Some((Place::Packed(p), e));
        }
        self.tree
            .locate_with_selection_function(by_id)
            .find_map(|page| page.entries.iter().find(|e| e.id == id))
            .map(|e| (Place::Dynamic, e))
    }
}

/// Where an entry lives: in a packed page (by index) or in the dynamic tree.
#[derive(Debug, Clone, Copy)]
enum Place {
    Packed(usize),
    Dynamic,
}

/// The squared f32 chord bound for candidates when the k-th smallest squared f32 chord seen so
/// far is `kth`: any point of the exact k nearest (by haversine) is within it (see `nearest`).
fn candidate_bound(kth: f32) -> f32 {
    let c = ((kth as f64).sqrt() + 2.0 * CHORD_SLACK) * (1.0 + CHORD_SLACK);
    (c * c) as f32
}

/// Sorts hits by (distance, id). Distances are never negative, so their bits sort as the
/// numbers do (`+ 0.0` turns a −0 into +0); integer keys sort faster than `total_cmp`.
fn sort_by_distance_then_id(hits: &mut [Hit]) {
    hits.sort_unstable_by_key(|h| ((h.distance_m + 0.0).to_bits(), h.point.id));
}

/// The k smallest squared f32 chords offered so far, as bits (the same order for non-negative
/// f32): a sorted array on the stack for the usual small k, a heap past that.
enum KBest {
    Sorted([u32; 32], usize, usize),
    Heap(BinaryHeap<u32>, usize),
}

impl KBest {
    fn new(k: usize) -> Self {
        debug_assert!(k > 0);
        if k <= 32 {
            Self::Sorted([0; 32], 0, k)
        } else {
            Self::Heap(BinaryHeap::with_capacity(k + 1), k)
        }
    }

    /// Offers a chord; returns the k-th smallest when k have been offered and it has changed.
    #[inline]
    fn offer(&mut self, d2: f32) -> Option<f32> {
        let bits = d2.to_bits();
        match self {
            Self::Sorted(v, len, k) => {
                if *len == *k {
                    if bits >= v[*k - 1] {
                        return None;
                    }
                } else {
                    *len += 1;
                }
                let mut i = *len - 1;
                while i > 0 && v[i - 1] > bits {
                    v[i] = v[i - 1];
                    i -= 1;
                }
                v[i] = bits;
                (*len == *k).then(|| f32::from_bits(v[*k - 1]))
            }
            Self::Heap(h, k) => {
                if h.len() == *k {
                    if bits >= *h.peek()? {
                        return None;
                    }
                    h.pop();
                }
                h.push(bits);
                if h.len() == *k {
                    h.peek().map(|&b| f32::from_bits(b))
                } else {
                    None
                }
            }
        }
    }
}

fn check_distance(d: f64) -> Result<(), SpatialError> {
    if d.is_finite() && d >= 0.0 {
        Ok(())
    } else {
        Err(SpatialError::InvalidDistance(d))
    }
}

/// Below this chord (≈ 1.3 km) a point far from every page's box still joins the nearest page
/// rather than starting a page of its own.
const JOIN_CHORD: f32 = 2e-4;

/// An in-memory index of points, kept in step with the database by the server.
#[derive(Clone)]
pub struct PointIndex {
    /// The pages of the last bulk load, in a static packed tree (see [`packed`]).
    packed: Packed,
    /// Pages made or grown since, in rstar's dynamic tree.
    tree: RTree<Page, Params>,
    ids: IdMap,
    len: usize,
}

impl Default for PointIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for PointIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointIndex")
            .field("len", &self.len())
            .finish()
    }
}

impl PointIndex {
    pub fn new() -> Self {
        Self {
            packed: Packed::default(),
            tree: RTree::new_with_params(),
            ids: IdMap::default(),
            len: 0,
        }
    }

    /// Builds the index in one pass: points sorted along a Hilbert curve, cut into full pages,
    /// and the pages packed into a static tree. Much faster than inserting one by one.
    pub fn bulk_load(points: Vec<IndexedPoint>) -> Result<Self, SpatialError> {
        let entries: Vec<Entry> = points.iter().map(Entry::new).collect();
        drop(points);
        let mut slots: Vec<Slot> = entries.iter().map(|e| Slot::new(e.id, e.cell())).collect();
        slots.sort_unstable_by_key(Slot::id);
        if let Some(w) = slots.windows(2).find(|w| w[0].id() == w[1].id()) {
            return Err(SpatialError::DuplicatePoint(w[0].id()));
        }
        let len = entries.len();
        Ok(Self {
            packed: Packed::new(page::pack(entries)),
            tree: RTree::new_with_params(),
            ids: IdMap::from_sorted(slots),
            len,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, id: i64) -> bool {
        self.ids.get(id).is_some()
    }

    pub fn get(&self, id: i64) -> Option<IndexedPoint> {
        let cell = self.ids.get(id)?;
        self.locate(id, cell).map(|(_, e)| e.point())
    }

    /// Every point, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = IndexedPoint> + '_ {
        self.packed
            .pages
            .iter()
            .chain(self.tree.iter())
            .flat_map(|page| page.entries.iter())
            .map(Entry::point)
    }

    /// Adds a point; an id already present is an error (use [`PointIndex::upsert`] to replace).
    pub fn insert(&mut self, point: IndexedPoint) -> Result<(), SpatialError> {
        if self.contains(point.id) {
            return Err(SpatialError::DuplicatePoint(point.id));
        }
        self.insert_entry(Entry::new(&point));
        Ok(())
    }

    /// Adds or replaces the point with this id; returns the replaced point.
    pub fn upsert(&mut self, point: IndexedPoint) -> Option<IndexedPoint> {
        let old = self.remove(point.id);
        self.insert_entry(Entry::new(&point));
        old
    }

    /// Puts a new entry into the page nearest to it: in place when it falls inside that page's
    /// box, else by taking the page out and putting it back grown (or split); a point far from
    /// every page starts a page of its own.
    fn insert_entry(&mut self, entry: Entry) {
        self.ids.set(entry.id, entry.cell());
        self.len += 1;
        let packed = self.packed.nearest_page(&entry.xyz);
        let nearest = nearest_page(&self.tree, &entry.xyz)
            .filter(|&(_, d2)| packed.is_none_or(|(_, packed_d2)| d2 < packed_d2))
            .map(|(page, d2)| (page.key(), page.entries.len(), d2, page.extent()));
        if nearest.is_none()
            && let Some((p, d2)) = packed
        {
            let page = &mut self.packed.pages[p];
            if d2 == 0.0 && page.entries.len() < page::PAGE_MAX {
                page.push_inside(entry);
            } else if d2.sqrt() > page.extent().max(JOIN_CHORD) {
                self.tree.insert(Page::new(Box::new([entry])));
            } else {
                // Its box must grow: the page moves to the dynamic tree.
                let (a, b) = self.packed.take(p).with(entry);
                self.tree.insert(a);
                if let Some(b) = b {
                    self.tree.insert(b);
                }
            }
            return;
        }
        let Some((key, len, d2, extent)) = nearest else {
            self.tree.insert(Page::new(Box::new([entry])));
            return;
        };
        if d2 == 0.0
            && len < page::PAGE_MAX
            && let Some(page) = self.tree.locate_with_selection_function_mut(key).next()
        {
            page.push_inside(entry);
            return;
        }
        if d2.sqrt() > extent.max(JOIN_CHORD) {
            self.tree.insert(Page::new(Box::new([entry])));
            return;
        }
        let page = self
            .tree
            .remove_with_selection_function(key)
            .expect("the nearest page is in the tree");
        let (a, b) = page.with(entry);
        self.tree.insert(a);
        if let Some(b) = b {
            self.tree.insert(b);
        }
    }

    /// Removes a point; returns it, or `None` if the id is unknown.
    pub fn remove(&mut self, id: i64) -> Option<IndexedPoint> {
        let cell = self.ids.get(id)?;
        let entry = match self.locate(id, cell)?.0 {
            Place::Packed(p) => {
                let page = &mut self.packed.pages[p];
                let i = page.entries.iter().position(|e| e.id == id)?;
                let entry = page.remove_at(i);
                self.packed.forget_if_empty(p);
                entry
            }
            Place::Dynamic => self.remove_from_tree(id, cell)?,
        };
        self.ids.remove(id);
        self.len -= 1;
        Some(entry.point())
    }

    fn remove_from_tree(&mut self, id: i64, cell: u32) -> Option<Entry> {
        let page = self
            .tree
            .locate_with_selection_function_mut(ById::new(id, cell))
            .next()?;
        let entry = if page.entries.len() > 1 {
            let i = page.entries.iter().position(|e| e.id == id)?;
            page.remove_at(i)
        } else {
            self.tree
                .remove_with_selection_function(ById::new(id, cell))?
                .entries[0]
        };
        Some(entry)
    }

    /// Moves a point, keeping its attributes.
    pub fn update_position(&mut self, id: i64, position: LonLat) -> Result<(), SpatialError> {
        let mut point = self.remove(id).ok_or(SpatialError::UnknownPoint(id))?;
        point.position = position;
        self.insert_entry(Entry::new(&point));
        Ok(())
    }

    /// Changes a point's attributes in place (its position, and so the tree, is untouched).
    pub fn update_attrs(&mut self, id: i64, attrs: PointAttrs) -> Result<(), SpatialError> {
        let cell = self.ids.get(id).ok_or(SpatialError::UnknownPoint(id))?;
        let leaf = match self.locate(id, cell).map(|(place, _)| place) {
            Some(Place::Packed(p)) => self.packed.pages[p].entries.iter_mut().find(|e| e.id == id),
            Some(Place::Dynamic) => self
                .tree
                .locate_with_selection_function_mut(ById::new(id, cell))
                .find_map(|page| page.entries.iter_mut().find(|e| e.id == id)),
            None => None,
        }
        .ok_or(SpatialError::UnknownPoint(id))?;
        let updated = Entry::new(&IndexedPoint {
            id,
            position: leaf.position(),
            attrs,
        });
        *leaf = Entry {
            xyz: leaf.xyz,
            ..updated
        };
        Ok(())
    }

    /// The `k` points nearest to `centre` that match `filter`, nearest first (ties by id).
    ///
    /// Best-first over the tree's nodes, scanning pages by f32 chord. Every f32 chord is within
    /// [`CHORD_SLACK`] of the exact one, so if the k-th smallest f32 chord among matching points
    /// seen so far is `c`, every point of the exact answer has an f32 chord ≤ `c + 2·slack`: the
    /// search keeps those candidates, stops at nodes farther than that, and ranks the
    /// candidates by haversine metres.
    pub fn nearest<'a>(&'a self, centre: LonLat, k: usize, filter: impl PointFilter) -> Vec<Hit> {
        if k == 0 || self.len == 0 {
            return Vec::new();
        }
        let q = query_vector(centre);
        let mut best = KBest::new(k);
        // No bound yet; `f32::MAX` rather than ∞ so that empty boxes (at ∞) are never queued.
        let mut limit = f32::MAX;
        // (squared f32 chord, later haversine metres; entry). Pruned to the current bound
        // when full rather than grown: reallocating cost more than the pruning.
        let mut candidates: Vec<(f64, &'a Entry)> = Vec::with_capacity(2 * k + 48);
        let everything = filter.matches_everything();
        let mut scan = |page: &'a Page, limit: &mut f32| {
            for e in page.entries.iter() {
                let d2 = e.d2(&q);
                if d2 > *limit || !(everything || filter.matches(&e.point())) {
                    continue;
                }
                if candidates.len() == candidates.capacity() {
                    let bound = f64::from(*limit);
                    candidates.retain(|c| c.0 <= bound);
                }
                candidates.push((f64::from(d2), e));
                if let Some(kth) = best.offer(d2) {
                    *limit = candidate_bound(kth);
                }
            }
        };
        self.packed.nearest(&q, &mut limit, &mut scan);
        if self.tree.size() > 0 {
            tree_nearest(&self.tree, &q, &mut limit, &mut scan);
        }
        let from = HaversineFrom::new(centre);
        let bound = f64::from(limit);
        candidates.retain(|c| c.0 <= bound);
        for c in candidates.iter_mut() {
            c.0 = from.to(c.1.position());
        }
        // As `sort_by_distance_then_id`.
        candidates.sort_unstable_by_key(|c| ((c.0 + 0.0).to_bits(), c.1.id));
        candidates
            .iter()
            .take(k)
            .map(|&(distance_m, e)| Hit {
                point: e.point(),
                distance_m,
            })
            .collect()
    }

    /// Every point within `radius_m` metres (great circle) of `centre`, nearest first.
    pub fn within_radius(&self, centre: LonLat, radius_m: f64) -> Result<Vec<Hit>, SpatialError> {
        self.within_radius_where(centre, radius_m, |_: &IndexedPoint| true)
    }

    /// As [`PointIndex::within_radius`], keeping only points that match `filter`.
    pub fn within_radius_where(
        &self,
        centre: LonLat,
        radius_m: f64,
        filter: impl PointFilter,
    ) -> Result<Vec<Hit>, SpatialError> {
        check_distance(radius_m)?;
        let q = query_vector(centre);
        let chord = (chord_for_distance_m(radius_m) + CHORD_SLACK) * (1.0 + CHORD_SLACK);
        let r2 = (chord * chord) as f32;
        let from = HaversineFrom::new(centre);
        let mut hits = Vec::with_capacity(64);
        let mut visit = |page: &Page| {
            for e in page.entries.iter() {
                if e.d2(&q) > r2 {
                    continue;
                }
                let point = e.point();
                let d = from.to(point.position);
                if d <= radius_m && filter.matches(&point) {
                    hits.push(Hit {
                        point,
                        distance_m: d,
                    });
                }
            }
        };
        self.packed.pages_within(&q, r2, &mut visit);
        pages_within(self.tree.root(), &q, r2, &mut visit);
        sort_by_distance_then_id(&mut hits);
        Ok(hits)
    }

    /// Every point in the lon/lat box (edges included), by id.
    pub fn in_bbox(&self, bbox: &LonLatBox) -> Vec<IndexedPoint> {
        let (lo, hi) = bbox.unit_sphere_aabb();
        let mut out: Vec<IndexedPoint> = self
            .entries_in(f32_box(lo, hi, CHORD_SLACK))
            .into_iter()
            .map(Entry::point)
            .filter(|p| bbox.contains(p.position))
            .collect();
        out.sort_by_key(|p| p.id);
        out
    }

    /// Every point inside the region (planar lon/lat containment, boundary rule of
    /// [`Region`]), by id.
    pub fn in_polygon(&self, region: &Region) -> Vec<IndexedPoint> {
        let mut out = Vec::new();
        for part in &region.parts {
            let [x0, y0, x1, y1] = part.bbox;
            let bbox = if x1 <= 180.0 {
                LonLatBox::from_valid(x0, y0, x1, y1)
            } else if x0 >= 180.0 {
                LonLatBox::from_valid(x0 - 360.0, y0, x1 - 360.0, y1)
            } else {
                LonLatBox::from_valid(x0, y0, x1 - 360.0, y1)
            };
            let (lo, hi) = bbox.unit_sphere_aabb();
            out.extend(
                self.entries_in(f32_box(lo, hi, CHORD_SLACK))
                    .into_iter()
                    .map(Entry::point)
                    .filter(|p| part.contains(p.position)),
            );
        }
        out.sort_by_key(|p| p.id);
        out.dedup_by_key(|p| p.id);
        out
    }

    /// Points within `max_distance_m` metres of a route — the great-circle legs joining
    /// consecutive positions, not just the positions — that match `filter`; nearest first,
    /// each with its nearest leg. A one-position route is a point.
    pub fn near_route(
        &self,
        route: &[LonLat],
        max_distance_m: f64,
        filter: impl PointFilter,
    ) -> Result<Vec<RouteHit>, SpatialError> {
        check_distance(max_distance_m)?;
        let arcs = route_arcs(route)?;
        let pad = chord_for_distance_m(max_distance_m) + CHORD_SLACK;
        let mut found: Vec<RouteHit> = Vec::new();
        for (leg, arc) in arcs.iter().enumerate() {
            let (lo, hi) = arc.bounding_box();
            for entry in self.entries_in(f32_box(lo, hi, pad)) {
                let d = arc.distance_m(entry.position());
                if d <= max_distance_m {
                    let point = entry.point();
                    if filter.matches(&point) {
                        found.push(RouteHit {
                            point,
                            distance_m: d,
                            leg,
                        });
                    }
                }
            }
        }
        Ok(nearest_leg_per_point(found))
    }

    /// Heap bytes held by the index: the tree's node vectors and pages (counted from the
    /// tree's shape) plus the id map. The benchmark confirms it with a counting allocator.
    pub fn heap_bytes(&self) -> usize {
        fn walk(node: &ParentNode<Page>) -> usize {
            let children = node.children();
            // Capacity is not exposed; bulk loading and splits leave vectors close to full.
            std::mem::size_of_val(children)
                + children
                    .iter()
                    .map(|c| match c {
                        RTreeNode::Parent(p) => walk(p),
                        RTreeNode::Leaf(page) => std::mem::size_of_val(&*page.entries),
                    })
                    .sum::<usize>()
        }
        self.packed.heap_bytes() + walk(self.tree.root()) + self.ids.heap_bytes()
    }
}

fn query_vector(p: LonLat) -> [f32; 3] {
    let v = unit_vector(p);
    [v[0] as f32, v[1] as f32, v[2] as f32]
}

/// Great-circle metres from `p` to the leg from `a` to `b` (a point when `a == b`); `None` for
/// antipodal ends, whose leg is undefined.
pub fn distance_to_leg_m(a: LonLat, b: LonLat, p: LonLat) -> Option<f64> {
    Arc::new(a, b).map(|arc| arc.distance_m(p))
}

pub(crate) fn route_arcs(route: &[LonLat]) -> Result<Vec<Arc>, SpatialError> {
    match route {
        [] => Ok(Vec::new()),
        [only] => Ok(vec![
            Arc::new(*only, *only).ok_or(SpatialError::AntipodalLeg { leg: 0 })?,
        ]),
        _ => route
            .windows(2)
            .enumerate()
            .map(|(leg, w)| Arc::new(w[0], w[1]).ok_or(SpatialError::AntipodalLeg { leg }))
            .collect(),
    }
}

/// Keeps each point once, with its smallest distance (lowest leg on ties), nearest first.
pub(crate) fn nearest_leg_per_point(mut found: Vec<RouteHit>) -> Vec<RouteHit> {
    found.sort_by(|a, b| {
        a.point
            .id
            .cmp(&b.point.id)
            .then(a.distance_m.total_cmp(&b.distance_m))
            .then(a.leg.cmp(&b.leg))
    });
    found.dedup_by_key(|h| h.point.id);
    found.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.point.id.cmp(&b.point.id))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_id_slots_are_compact() {
        assert_eq!(size_of::<Entry>(), 40);
        assert_eq!(size_of::<Slot>(), 12);
    }

    #[test]
    fn pages_grow_split_and_shrink_and_queries_stay_exact() {
        let attrs = PointAttrs {
            kind: AccountKind::Customer,
            status: AccountStatus::Active,
            owner: None,
            visited: false,
        };
        let at = |i: i64| {
            // A dense cluster, a wider ring around it, and a few far-away points.
            let (lon, lat) = match i % 3 {
                0 => (
                    106.8 + (i % 97) as f64 * 1e-4,
                    -6.2 + (i % 89) as f64 * 1e-4,
                ),
                1 => (
                    106.8 + (i % 53) as f64 * 0.01,
                    -6.2 - (i % 47) as f64 * 0.01,
                ),
                _ => ((i * 37 % 360) as f64 - 180.0, (i * 17 % 170) as f64 - 85.0),
            };
            IndexedPoint::new(i, LonLat::new(lon, lat).unwrap(), attrs)
        };
        let mut index = PointIndex::bulk_load((0..100).map(at).collect()).unwrap();
        for i in 100..3_000 {
            index.insert(at(i)).unwrap();
        }
        for i in (0..3_000).step_by(3) {
            assert!(index.remove(i).is_some());
        }
        for i in (1..3_000).step_by(5).filter(|i| i % 3 != 0) {
            index
                .update_position(i, at(i * 7 + 3_000).position)
                .unwrap();
        }
        let all: Vec<IndexedPoint> = index.iter().collect();
        assert_eq!(all.len(), index.len());
        assert_eq!(all.len(), 2_000);
        // Packed pages emptied by removals or moved to the dynamic tree keep their slot.
        let pages: Vec<usize> = (index.packed.pages.iter())
            .chain(index.tree.iter())
            .map(|p| p.entries.len())
            .filter(|&n| n > 0)
            .collect();
        assert!(pages.iter().all(|&n| (1..=page::PAGE_MAX).contains(&n)));
        assert!(pages.len() < all.len() / 4, "{} pages", pages.len());
        for c in [(106.81, -6.19), (106.5, -6.5), (0.0, 0.0), (179.9, 80.0)] {
            let c = LonLat::new(c.0, c.1).unwrap();
            for k in [1, 10, 100] {
                let any = |_: &IndexedPoint| true;
                assert_eq!(
                    index.nearest(c, k, any),
                    crate::spatial::scan::nearest(&all, c, k, any)
                );
            }
            for r in [500.0, 5_000.0, 50_000.0] {
                assert_eq!(
                    index.within_radius(c, r).unwrap(),
                    crate::spatial::scan::within_radius(&all, c, r)
                );
            }
        }
    }

    #[test]
    fn a_deep_packed_tree_stays_exact_through_updates() {
        // 20,000 points: 1,250 pages, three levels of packed blocks.
        let attrs = |i: i64| PointAttrs {
            kind: if i % 2 == 0 {
                AccountKind::Customer
            } else {
                AccountKind::Prospect
            },
            status: AccountStatus::Active,
            owner: (i % 3 == 0).then_some(i % 7),
            visited: i % 5 == 0,
        };
        let at = |i: i64| {
            let (lon, lat) = if i % 4 == 0 {
                (
                    (i * 7919 % 36_000) as f64 / 100.0 - 180.0,
                    (i * 104_729 % 17_000) as f64 / 100.0 - 85.0,
                )
            } else {
                (
                    106.8 + (i * 31 % 1_000) as f64 * 1e-3,
                    -6.2 + (i * 17 % 1_003) as f64 * 1e-3,
                )
            };
            IndexedPoint::new(i, LonLat::new(lon, lat).unwrap(), attrs(i))
        };
        let mut index = PointIndex::bulk_load((0..20_000).map(at).collect()).unwrap();
        assert_eq!(index.packed.pages.len(), 1_250);
        for i in (0..20_000).step_by(7) {
            assert!(index.remove(i).is_some());
        }
        for i in (1..20_000).step_by(11).filter(|i| i % 7 != 0) {
            index
                .update_position(i, at(i * 3 + 20_000).position)
                .unwrap();
        }
        for i in 20_000..21_000 {
            let mut p = at(i * 13);
            p.id = i;
            index.insert(p).unwrap();
        }
        for i in (2..20_000).step_by(13).filter(|i| i % 7 != 0) {
            index.update_attrs(i, attrs(i + 1)).unwrap();
        }
        // Both parts are in use: most pages still packed, some grown into the dynamic tree.
        let packed = index.packed.pages.iter().filter(|p| !p.entries.is_empty());
        assert!(packed.count() > 1_000);
        assert!(index.tree.size() > 10, "{}", index.tree.size());
        let all: Vec<IndexedPoint> = index.iter().collect();
        assert_eq!(all.len(), index.len());
        for p in all.iter().step_by(97) {
            assert_eq!(index.get(p.id), Some(*p));
        }
        let filter = Filter {
            kind: Some(AccountKind::Prospect),
            ..Filter::default()
        };
        for c in [
            (106.81, -6.19),
            (107.3, -5.7),
            (0.0, 0.0),
            (179.9, 80.0),
            (-120.0, 35.0),
        ] {
            let c = LonLat::new(c.0, c.1).unwrap();
            for k in [1, 10, 100] {
                assert_eq!(
                    index.nearest(c, k, Filter::default()),
                    crate::spatial::scan::nearest(&all, c, k, Filter::default())
                );
                assert_eq!(
                    index.nearest(c, k, filter.clone()),
                    crate::spatial::scan::nearest(&all, c, k, filter.clone())
                );
            }
            for r in [500.0, 5_000.0, 500_000.0] {
                assert_eq!(
                    index.within_radius(c, r).unwrap(),
                    crate::spatial::scan::within_radius(&all, c, r)
                );
            }
        }
        let bbox = LonLatBox::new(106.9, -6.0, 107.5, -5.5).unwrap();
        assert_eq!(
            index.in_bbox(&bbox),
            crate::spatial::scan::in_bbox(&all, &bbox)
        );
    }

    #[test]
    fn cells_enclose_their_points() {
        for (lon, lat) in [
            (180.0, 90.0),
            (-180.0, -90.0),
            (106.8, -6.2),
            (0.0, 0.0),
            (179.99999, -89.99999),
        ] {
            let p = IndexedPoint::new(
                1,
                LonLat::new(lon, lat).unwrap(),
                PointAttrs {
                    kind: AccountKind::Customer,
                    status: AccountStatus::Active,
                    owner: None,
                    visited: false,
                },
            );
            let e = Entry::new(&p);
            assert!(cell_box(e.cell()).contains(e.position()), "{lon},{lat}");
        }
    }

    #[test]
    fn id_map_merges_changes_into_the_sorted_array() {
        let mut m = IdMap::from_sorted((0..10_000).map(|i| Slot::new(i * 2, i as u32)).collect());
        for i in 0..3_000 {
            m.set(i * 2 + 1, 7);
            m.remove(i * 4);
        }
        assert!(m.overlay.len() < 2_000, "compacted");
        for i in 0..3_000 {
            assert_eq!(m.get(i * 2 + 1), Some(7));
            assert_eq!(m.get(i * 4), None);
        }
        assert_eq!(m.get(6_002), Some(3_001));
        assert_eq!(m.get(-5), None);
        assert_eq!(Slot::new(-3, 0).id(), -3);
        assert_eq!(Slot::new(i64::MIN, 0).id(), i64::MIN);
    }
}
