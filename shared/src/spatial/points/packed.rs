//! The bulk-loaded part of the point index: a static, packed R-tree over the pages in Hilbert
//! order (the "packed Hilbert R-tree" that flatbush implements), instead of rstar's OMT tree.
//!
//! Pages come out of [`super::page::pack`] already sorted along the Hilbert curve, so runs of
//! 16 consecutive pages are spatially compact; a node is simply such a run, the next level up
//! the runs of 16 nodes, and so on to one root. Boxes do not overlap much (each node is a
//! stretch of the curve), the tree needs no pointers (the children of slot `i` of block `b` are
//! block `16·b + i` one level down), and each node's 16 child boxes lie in one [`Block`] of
//! per-axis arrays, so the distances to all 16 are one vectorisable loop.
//!
//! The tree is never rebuilt by updates. A page keeps its slot: removals shrink it in place, a
//! point inside its box is added in place, and a page that has to grow past its box is taken
//! out (its slot's box becomes empty) and lives on in the dynamic rstar tree. Parent boxes are
//! left as they were: still valid, if looser, bounds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rstar::AABB;

use super::page::Page;

/// Children per node.
pub(super) const FAN: usize = 16;

/// Levels at most: 16^8 pages is far more than `u32` page indexes allow.
const MAX_LEVELS: usize = 8;

/// The boxes of 16 siblings (f32 unit-vector space), one array per bound and axis. Unused slots
/// hold an empty box (lower +∞, upper −∞): infinitely far from every point, meeting nothing.
#[derive(Debug, Clone)]
#[repr(align(64))]
pub(super) struct Block {
    lo: [[f32; FAN]; 3],
    hi: [[f32; FAN]; 3],
}

const EMPTY: Block = Block {
    lo: [[f32::INFINITY; FAN]; 3],
    hi: [[f32::NEG_INFINITY; FAN]; 3],
};

/// `max` that compiles to one `maxps` (no NaN handling; no NaN reaches it).
#[inline(always)]
fn fmax(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

impl Block {
    /// Squared f32 distance from `q` to each of the 16 boxes (0 inside, +∞ for empty slots).
    #[inline]
    fn d2(&self, q: &[f32; 3]) -> [f32; FAN] {
        let mut out = [0.0f32; FAN];
        for ((lo, hi), &qa) in self.lo.iter().zip(&self.hi).zip(q) {
            for i in 0..FAN {
                let d = fmax(fmax(lo[i] - qa, qa - hi[i]), 0.0);
                out[i] += d * d;
            }
        }
        out
    }

    #[inline]
    fn meets(&self, i: usize, env: &AABB<[f32; 3]>) -> bool {
        let (lo, hi) = (env.lower(), env.upper());
        (0..3).all(|a| self.lo[a][i] <= hi[a] && lo[a] <= self.hi[a][i])
    }

    fn set(&mut self, i: usize, lo: [f32; 3], hi: [f32; 3]) {
        for a in 0..3 {
            self.lo[a][i] = lo[a];
            self.hi[a][i] = hi[a];
        }
    }

    /// The box around all 16 (empty if all are).
    fn union(&self) -> ([f32; 3], [f32; 3]) {
        let lo = [0, 1, 2].map(|a| self.lo[a].iter().copied().fold(f32::INFINITY, f32::min));
        let hi = [0, 1, 2].map(|a| self.hi[a].iter().copied().fold(f32::NEG_INFINITY, f32::max));
        (lo, hi)
    }
}

/// A queued subtree: squared distance in the high half (non-negative f32 bits sort as the
/// numbers do), what it is in the low half: a page index, or [`BLOCK`] | level << 26 | block.
type Key = u64;
const BLOCK: u32 = 1 << 31;
const BLOCK_BITS: u32 = 26;

#[inline]
fn key(d2: f32, level: usize, child: usize) -> Reverse<Key> {
    let what = if level == 0 {
        child as u32
    } else {
        BLOCK | ((level - 1) as u32) << BLOCK_BITS | child as u32
    };
    Reverse(((d2.to_bits() as u64) << 32) | what as u64)
}

std::thread_local! {
    /// The search queue, kept between queries: allocating it took ~10 % of a k-nearest query.
    static QUEUE: std::cell::Cell<BinaryHeap<Reverse<Key>>> =
        std::cell::Cell::new(BinaryHeap::with_capacity(256));
}

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub(super) struct Packed {
    pub(super) pages: Vec<Page>,
    /// `levels[0][b]` holds the boxes of pages `16·b .. 16·b + 16`; `levels[l][b]` those of the
    /// blocks `16·b ..` of level `l − 1`. The last level is the root's single block (no levels
    /// when there are no pages).
    levels: Vec<Vec<Block>>,
}

impl Packed {
    /// Packs pages in the order given (Hilbert order for tight nodes).
    pub(super) fn new(pages: Vec<Page>) -> Self {
        assert!(
            pages.len() < (1 << BLOCK_BITS) * FAN,
            "page indexes fit the queue keys"
        );
        let mut levels: Vec<Vec<Block>> = Vec::new();
        let mut boxes: Vec<([f32; 3], [f32; 3])> = pages
            .iter()
            .map(|p| (p.envelope.lower(), p.envelope.upper()))
            .collect();
        while !boxes.is_empty() {
            let blocks: Vec<Block> = boxes
                .chunks(FAN)
                .map(|run| {
                    let mut b = EMPTY;
                    for (i, &(lo, hi)) in run.iter().enumerate() {
                        b.set(i, lo, hi);
                    }
                    b
                })
                .collect();
            let root = blocks.len() == 1;
            boxes = blocks.iter().map(Block::union).collect();
            levels.push(blocks);
            if root {
                break;
            }
        }
        debug_assert!(levels.len() <= MAX_LEVELS);
        Self { pages, levels }
    }

    fn page_block(&mut self, p: usize) -> (&mut Block, usize) {
        (&mut self.levels[0][p / FAN], p % FAN)
    }

    /// Marks a page that removals have emptied, so searches no longer visit it.
    pub(super) fn forget_if_empty(&mut self, p: usize) {
        if self.pages[p].entries.is_empty() {
            let (block, i) = self.page_block(p);
            block.set(i, [f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
        }
    }

    /// Takes a page's points out (to be put in the dynamic tree); its slot stays, empty.
    pub(super) fn take(&mut self, p: usize) -> Page {
        let page = Page {
            entries: std::mem::take(&mut self.pages[p].entries),
            envelope: self.pages[p].envelope,
        };
        self.forget_if_empty(p);
        page
    }

    fn root(&self) -> Option<usize> {
        self.levels.len().checked_sub(1)
    }

    /// k-nearest search: `scan(page, limit)` scans a page and may lower `limit`, the squared
    /// f32 chord beyond which nothing is needed (`f32::MAX` for none yet). First follows the
    /// nearest box at every level down to one page, which usually sets the bound, then visits
    /// the remaining subtrees best first, queueing only those within the bound.
    pub(super) fn nearest<'a>(
        &'a self,
        q: &[f32; 3],
        limit: &mut f32,
        scan: &mut impl FnMut(&'a Page, &mut f32),
    ) {
        let Some(top) = self.root() else {
            return;
        };
        let mut path = [(0usize, 0usize, 0usize, [0.0f32; FAN]); MAX_LEVELS];
        let mut steps = 0;
        let (mut level, mut block) = (top, 0);
        loop {
            let d2 = self.levels[level][block].d2(q);
            let mut best = 0;
            for i in 1..FAN {
                if d2[i] < d2[best] {
                    best = i;
                }
            }
            path[steps] = (level, block, best, d2);
            steps += 1;
            if d2[best] > f32::MAX {
                break; // an empty subtree
            }
            let child = block * FAN + best;
            if level == 0 {
                scan(&self.pages[child], limit);
                break;
            }
            (level, block) = (level - 1, child);
        }
        let mut queue = QUEUE.take();
        queue.clear();
        for &(level, block, best, d2) in &path[..steps] {
            for (i, &d) in d2.iter().enumerate() {
                if i != best && d <= *limit {
                    queue.push(key(d, level, block * FAN + i));
                }
            }
        }
        while let Some(Reverse(k)) = queue.pop() {
            if f32::from_bits((k >> 32) as u32) > *limit {
                break;
            }
            let what = k as u32;
            if what & BLOCK == 0 {
                scan(&self.pages[what as usize], limit);
                continue;
            }
            let level = ((what & !BLOCK) >> BLOCK_BITS) as usize;
            let block = (what & ((1 << BLOCK_BITS) - 1)) as usize;
            let d2 = self.levels[level][block].d2(q);
            for (i, &d) in d2.iter().enumerate() {
                if d <= *limit {
                    queue.push(key(d, level, block * FAN + i));
                }
            }
        }
        QUEUE.set(queue);
    }

    /// The non-empty page whose box is nearest to `q`, with that squared distance.
    pub(super) fn nearest_page(&self, q: &[f32; 3]) -> Option<(usize, f32)> {
        let mut found = None;
        let mut limit = f32::MAX;
        self.nearest(q, &mut limit, &mut |page: &Page, limit: &mut f32| {
            let d2 = super::box_d2(&page.envelope, q);
            if !page.entries.is_empty() && d2 < *limit {
                *limit = d2;
                found = Some(page);
            }
        });
        // The page's index from its address in `pages`.
        let page = found?;
        let p = (page as *const Page as usize - self.pages.as_ptr() as usize) / size_of::<Page>();
        Some((p, limit))
    }

    /// Visits every page whose box is within squared chord `r2` of `q`.
    pub(super) fn pages_within<'a>(
        &'a self,
        q: &[f32; 3],
        r2: f32,
        visit: &mut impl FnMut(&'a Page),
    ) {
        if let Some(top) = self.root() {
            self.within(top, 0, q, r2, visit);
        }
    }

    fn within<'a>(
        &'a self,
        level: usize,
        block: usize,
        q: &[f32; 3],
        r2: f32,
        visit: &mut impl FnMut(&'a Page),
    ) {
        let d2 = self.levels[level][block].d2(q);
        for (i, &d) in d2.iter().enumerate() {
            if d <= r2 {
                let child = block * FAN + i;
                if level == 0 {
                    visit(&self.pages[child]);
                } else {
                    self.within(level - 1, child, q, r2, visit);
                }
            }
        }
    }

    /// The first page (by index) whose box meets `env` and that satisfies `pred`.
    pub(super) fn find<'a>(
        &'a self,
        env: &AABB<[f32; 3]>,
        mut pred: impl FnMut(&'a Page) -> bool,
    ) -> Option<usize> {
        let top = self.root()?;
        self.find_in(top, 0, env, &mut pred)
    }

    fn find_in<'a>(
        &'a self,
        level: usize,
        block: usize,
        env: &AABB<[f32; 3]>,
        pred: &mut impl FnMut(&'a Page) -> bool,
    ) -> Option<usize> {
        let b = &self.levels[level][block];
        (0..FAN).filter(|&i| b.meets(i, env)).find_map(|i| {
            let child = block * FAN + i;
            if level == 0 {
                pred(&self.pages[child]).then_some(child)
            } else {
                self.find_in(level - 1, child, env, pred)
            }
        })
    }

    /// Visits every page whose box meets `env`.
    pub(super) fn pages_meeting<'a>(
        &'a self,
        env: &AABB<[f32; 3]>,
        visit: &mut impl FnMut(&'a Page),
    ) {
        let _ = self.find(env, |page| {
            visit(page);
            false
        });
    }

    /// Heap bytes: page slots, their points and the blocks.
    pub(super) fn heap_bytes(&self) -> usize {
        self.pages.capacity() * size_of::<Page>()
            + self
                .pages
                .iter()
                .map(|p| std::mem::size_of_val(&*p.entries))
                .sum::<usize>()
            + self
                .levels
                .iter()
                .map(|l| l.capacity() * size_of::<Block>())
                .sum::<usize>()
    }
}
