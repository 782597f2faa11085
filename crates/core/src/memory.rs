//! Large output buffers that are cheap to fill for the first time, and buffers that start a
//! cache line ([`LineAligned`]).
//!
//! A kernel that writes a fresh `n x d` matrix (a scaler's `transform`, for example) pays for
//! more than its arithmetic: every 4 KiB page of new memory is mapped on its first write, one
//! page fault each. For 125 MB that is 30,000 faults, which on the 2-core virtual machines we
//! benchmark on cost more than the scaling itself (about 2 µs each; 67 ms to fill 125 MB on one
//! thread against 15 ms with 2 MiB pages). NumPy asks the kernel for transparent huge pages on
//! arrays of 4 MiB and more; [`zeroed`] does the same on Linux, so the first write maps 2 MiB
//! at a time. Elsewhere, or when the system has transparent huge pages disabled, it is a plain
//! zeroed `Vec`.
//!
//! The first huge pages a process gets can be slow when the kernel must first compact memory
//! to find free 2 MiB blocks (the system's `transparent_hugepage/defrag` setting decides). Set
//! the environment variable `CARTERA_HUGEPAGES=0` to turn the advice off, as NumPy's
//! `NUMPY_MADVISE_HUGEPAGE=0` does.
//!
//! ```
//! let v: Vec<f64> = cartera_core::memory::zeroed(1 << 20);
//! assert_eq!(v.len(), 1 << 20);
//! assert!(v.iter().all(|&x| x == 0.0));
//! ```

/// Buffers at least this large (bytes) are advised to use huge pages, NumPy's threshold: the
/// advice only matters once a buffer spans a few whole 2 MiB pages.
pub const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// A zeroed `Vec` of `len` elements whose pages are mapped lazily, on first write, and, for
/// buffers of [`HUGE_PAGE_THRESHOLD`] bytes or more on Linux, advised to use transparent huge
/// pages (`madvise(MADV_HUGEPAGE)`).
///
/// The buffer is an ordinary `Vec` from the global allocator: the advice changes how its pages
/// are mapped, never their contents, and is dropped silently when the kernel refuses it.
pub fn zeroed<T: Copy + Default>(len: usize) -> Vec<T> {
    // `vec![zero; len]` of a float or integer zero is a `calloc`: for large sizes fresh,
    // untouched pages straight from the kernel, so the advice below reaches them before any
    // fault.
    let v = vec![T::default(); len];
    advise_huge_pages(&v);
    v
}

/// Bytes of a cache line on the CPUs we target, the alignment of [`LineAligned`] buffers.
pub const LINE: usize = 64;

/// A fixed-length buffer whose first element starts a 64-byte cache line, as [`zeroed`]
/// allocates it (lazily mapped, huge pages when large).
///
/// The global allocator aligns large blocks to 16 bytes only: glibc places a `calloc` of
/// megabytes 16 bytes past a page boundary. A kernel that loads a row in 32-byte registers
/// then splits some of its loads across two cache lines, each costing about two loads
/// (K-Means' block sums on 160-byte rows: 3.5 ns per row at that offset against 1.9 ns from a
/// line boundary, AMD EPYC Zen 4). Here the `Vec` holds up to one line more than asked and
/// the buffer starts at its first line boundary. Safe code only: the window is a sub-slice.
///
/// ```
/// use cartera_core::memory::{LINE, LineAligned};
/// let mut v: LineAligned<f64> = LineAligned::zeroed(1000);
/// assert_eq!(v.len(), 1000);
/// assert_eq!(v.as_ptr() as usize % LINE, 0);
/// v[999] = 2.0;
/// assert_eq!(v.iter().sum::<f64>(), 2.0);
/// ```
#[derive(Clone, Debug)]
pub struct LineAligned<T> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> LineAligned<T> {
    /// `len` zeros (`T::default()`), the first on a line boundary whenever `T`'s size divides
    /// [`LINE`] (every `f32`, `f64` and integer type); other sizes start where they can.
    pub fn zeroed(len: usize) -> Self {
        let size = std::mem::size_of::<T>();
        let spare = if size == 0 || !LINE.is_multiple_of(size) {
            0
        } else {
            LINE / size - 1
        };
        let buf = zeroed::<T>(len + spare);
        let misaligned = buf.as_ptr() as usize % LINE;
        let start = if spare == 0 || misaligned == 0 {
            0
        } else {
            // `misaligned` is a multiple of `size` (the allocation is aligned to `T`), so a
            // whole number of elements reaches the next boundary, at most `spare` of them.
            (LINE - misaligned) / size
        };
        LineAligned { buf, start, len }
    }
}

impl<T> LineAligned<T> {
    /// The values of `v` where they are, wherever it starts (no copy, so no alignment
    /// promise): for small buffers gathered on the fly, which are not worth a copy.
    pub fn from_vec(v: Vec<T>) -> Self {
        let len = v.len();
        LineAligned {
            buf: v,
            start: 0,
            len,
        }
    }
}

/// Equal when the values are (wherever each buffer sits).
impl<T: PartialEq> PartialEq for LineAligned<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> std::ops::Deref for LineAligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
}

impl<T> std::ops::DerefMut for LineAligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[allow(unsafe_code)] // one FFI call, see the SAFETY note
fn advise_huge_pages<T>(v: &[T]) {
    const PAGE: usize = 2 << 20;
    // MADV_HUGEPAGE in <asm-generic/mman-common.h>, shared by x86_64 and aarch64.
    const MADV_HUGEPAGE: i32 = 14;
    let bytes = std::mem::size_of_val(v);
    if bytes < HUGE_PAGE_THRESHOLD || !huge_pages_enabled() {
        return;
    }
    let start = v.as_ptr() as usize;
    // Only whole, aligned 2 MiB extents inside the buffer can become huge pages.
    let first = start.next_multiple_of(PAGE);
    let end = (start + bytes) / PAGE * PAGE;
    if end <= first {
        return;
    }
    unsafe extern "C" {
        fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
    }
    // SAFETY: [first, end) lies inside the allocation `v` borrows (rounded inwards to page
    // boundaries), and MADV_HUGEPAGE only changes how the kernel backs those pages, not their
    // contents or validity. A failure (EINVAL when the kernel lacks THP) leaves the memory as
    // it was, so the return value is deliberately ignored.
    unsafe {
        madvise(first as *mut std::ffi::c_void, end - first, MADV_HUGEPAGE);
    }
}

/// False when the environment sets `CARTERA_HUGEPAGES=0` (read once per process).
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
fn huge_pages_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("CARTERA_HUGEPAGES").is_none_or(|v| v != "0"))
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn advise_huge_pages<T>(_: &[T]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_are_zero_and_writable_at_every_size() {
        for len in [0usize, 1, 1000, HUGE_PAGE_THRESHOLD / 8 + 12345] {
            let mut v: Vec<f64> = zeroed(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0.0));
            for (i, x) in v.iter_mut().enumerate() {
                *x = i as f64;
            }
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64));
        }
        let w: Vec<u32> = zeroed(3 << 20);
        assert!(w.iter().all(|&x| x == 0));
    }

    /// Every length, small and huge-page sized, starts on a line boundary and holds exactly
    /// `len` writable zeros (a window off by one element would fail the sum).
    #[test]
    fn line_aligned_buffers_start_a_line() {
        for len in [0usize, 1, 7, 1000, HUGE_PAGE_THRESHOLD / 8 + 3] {
            let mut v: LineAligned<f64> = LineAligned::zeroed(len);
            assert_eq!(v.len(), len);
            assert_eq!(v.as_ptr() as usize % LINE, 0, "len {len}");
            assert!(v.iter().all(|&x| x == 0.0));
            for (i, x) in v.iter_mut().enumerate() {
                *x = i as f64;
            }
            let want = (len * len.saturating_sub(1) / 2) as f64;
            assert_eq!(v.iter().sum::<f64>(), want);
            let f: LineAligned<f32> = LineAligned::zeroed(len + 3);
            assert_eq!(f.as_ptr() as usize % LINE, 0);
            assert_eq!(f.len(), len + 3);
        }
        let same = LineAligned::from_vec(vec![1u8, 2, 3]);
        assert_eq!(&same[..], &[1, 2, 3]);
    }
}
