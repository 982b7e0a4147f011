//! Memory maps whose I/O errors come back as a failed copy, not as the end of the process.
//!
//! Why: a map turns an I/O error into a signal. When the kernel cannot fill a mapped page
//! (the device fails the read, the file was truncated below the page, a copy-on-write
//! file system has no block for a written page), the access raises SIGBUS, and SIGBUS's
//! default action ends the process. `pread` and `pwrite` return an error instead, which
//! the engine can report or be poisoned by. That difference is why RocksDB's
//! `allow_mmap_reads` and `allow_mmap_writes` are off by default, and why Shale's maps
//! were off by default until this module.
//!
//! How:
//! - Every copy into or out of a [`GuardedMap`] runs under a per-thread guard that names
//!   the address range it touches and the map's fault mark.
//! - A process-wide SIGBUS handler, installed the first time a map is made, compares the
//!   faulting address with the faulting thread's guard. If the address is inside it, the
//!   handler
//!   1. sets the map's fault mark, and then
//!   2. maps a fresh anonymous page over the faulting page (`MAP_FIXED`), so that the
//!      interrupted instruction, restarted when the handler returns, completes against it.
//! - The copy returns, finds the mark set, and reports failure. Callers then go through
//!   the file descriptor (`pread`, `pwrite`), which returns the real error, or the right
//!   bytes if the error has passed.
//! - Any other SIGBUS goes to the handler that was installed before this one (in a Rust
//!   program, std's stack-overflow handler, which in turn falls back to the default
//!   action). A fault outside a guarded copy still ends the process, as it always did.
//!
//! Invariants:
//! - Once a map's mark is set, nothing copies through it again: the page put in its place
//!   holds zeros (or writes the file never sees), not the file's bytes.
//! - Other threads copying through the same map at the same moment are covered too. The
//!   handler sets the mark *before* it replaces the page, and every copy reads the mark
//!   *after* it finishes, behind an acquire fence. A copy that read the replacement page
//!   therefore sees the mark and is discarded.
//!
//! Crotty, Leis and Pavlo, "Are You Sure You Want to Use MMAP in Your Database Management
//! System?" (CIDR 2022), list this signal among the costs of maps. It is handled here
//! because it makes Shale's maps safe to turn on by default: YCSB A, C and E were
//! 1.11–1.35× faster with them than with `pread` (docs/benchmarks.md).
//!
//! Tested on Linux, where a SIGBUS carries the faulting address in `si_addr` and
//! `MAP_FIXED` may replace one page of a larger map.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::fs;
use std::io;
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// A shared memory map of a file (all of it read-only, or a range of it writable), whose
/// copies report a SIGBUS as `false` instead of ending the process.
#[derive(Debug)]
pub(crate) struct GuardedMap {
    map: memmap2::MmapRaw,
    /// Set (by the SIGBUS handler) once any copy through this map has faulted; from
    /// then on the map is never read or written again.
    faulted: AtomicBool,
}

impl GuardedMap {
    /// Maps all of `file` (not empty) read-only.
    ///
    /// # Errors
    /// Installing the SIGBUS handler, or the `mmap` call.
    pub(crate) fn read_only(file: &fs::File) -> io::Result<GuardedMap> {
        install_handler()?;
        Ok(GuardedMap {
            map: memmap2::MmapOptions::new().map_raw_read_only(file)?,
            faulted: AtomicBool::new(false),
        })
    }

    /// Maps `[offset, offset + len)` of `file` (`len` > 0) shared and writable. The
    /// offset need not be page-aligned (memmap2 maps from the page below it).
    ///
    /// # Errors
    /// Installing the SIGBUS handler, a `len` beyond the address space, or the `mmap`
    /// call.
    pub(crate) fn writable(file: &fs::File, offset: u64, len: u64) -> io::Result<GuardedMap> {
        install_handler()?;
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(GuardedMap {
            map: memmap2::MmapOptions::new()
                .offset(offset)
                .len(len)
                .map_raw(file)?,
            faulted: AtomicBool::new(false),
        })
    }

    /// The mapped length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether a copy through this map has faulted, so that it must not be used again.
    pub(crate) fn has_faulted(&self) -> bool {
        self.faulted.load(Ordering::SeqCst)
    }

    /// Copies `dst.len()` bytes at `start` out of the map. `false`: the map has faulted,
    /// now or before, and `dst` holds unspecified bytes; read the file instead.
    ///
    /// # Panics
    /// If the range is not inside the map (callers check it).
    pub(crate) fn read(&self, start: usize, dst: &mut [u8]) -> bool {
        // SAFETY: `dst` is ordinary memory of `dst.len()` bytes, borrowed mutably.
        unsafe { self.copy_out(start, dst.as_mut_ptr(), dst.len()) }
    }

    /// Replaces the contents of `out` with the `len` bytes at `start`, without
    /// zero-filling `out` first. `false`: as for [`GuardedMap::read`] (`out` is then
    /// empty).
    ///
    /// # Panics
    /// If the range is not inside the map (callers check it).
    pub(crate) fn read_into(&self, start: usize, len: usize, out: &mut Vec<u8>) -> bool {
        out.clear();
        out.reserve_exact(len);
        // SAFETY: the destination is `len` bytes of `out`'s reserved capacity, which
        // nothing else references while `out` is borrowed mutably.
        let copied = unsafe { self.copy_out(start, out.as_mut_ptr(), len) };
        if copied {
            // SAFETY: the copy initialised the first `len` bytes of that capacity.
            unsafe { out.set_len(len) };
        }
        copied
    }

    /// Copies the `len` bytes at `start` out of the map to `dst`, under the guard;
    /// `false` if the map has faulted, now or before.
    ///
    /// # Safety
    /// `dst` must be valid for `len` bytes of writes, outside the map, and not accessed
    /// by anything else during the call.
    ///
    /// # Panics
    /// If the range is not inside the map.
    unsafe fn copy_out(&self, start: usize, dst: *mut u8, len: usize) -> bool {
        self.check_range(start, len);
        if self.has_faulted() {
            return false;
        }
        let src = self.map.as_ptr().wrapping_add(start);
        self.guarded(start, len, || {
            // SAFETY: the source range is inside the live mapping (checked above; the
            // mapping lives as long as `self`) and is read through a raw pointer, never a
            // Rust reference, so bytes the kernel or the handler changes under it break
            // no aliasing rule; the caller vouches for `dst`, which is not in the map, so
            // the ranges cannot overlap. A page that cannot be read raises SIGBUS, which
            // the handler turns into a zero page and the fault mark, checked by `guarded`.
            unsafe { std::ptr::copy_nonoverlapping(src, dst, len) }
        })
    }

    /// Copies `src` into the map at `start`. `&mut self`: one writer at a time, so two
    /// copies into the map never race. `false`: the map has faulted, now or before, and
    /// `src` may not have reached the file; write it through the file instead.
    ///
    /// # Panics
    /// If the range is not inside the map (callers check it).
    pub(crate) fn write(&mut self, start: usize, src: &[u8]) -> bool {
        self.check_range(start, src.len());
        if self.has_faulted() {
            return false;
        }
        let dst = self.map.as_mut_ptr().wrapping_add(start);
        self.guarded(start, src.len(), || {
            // SAFETY: the destination range is inside the live, writable mapping
            // (checked above) and is raw memory, never a Rust reference; `src` is
            // ordinary memory, so the ranges cannot overlap; the caller holds the map
            // exclusively. A page that cannot be read in or allocated raises SIGBUS,
            // handled as in `copy_out`. Bytes another process writes to the same file range
            // race with the copy; the WAL writes its segments only through this map or
            // its one writer's `pwrite`.
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) }
        })
    }

    fn check_range(&self, start: usize, len: usize) {
        assert!(
            start
                .checked_add(len)
                .is_some_and(|end| end <= self.map.len()),
            "a copy outside the map (callers check the range)"
        );
    }

    /// Runs `copy`, which touches `[start, start + len)` of the map, under this thread's
    /// guard, and returns whether the map is still unfaulted after it.
    fn guarded(&self, start: usize, len: usize, copy: impl FnOnce()) -> bool {
        let base = self.map.as_ptr() as usize + start;
        GUARD.with(|g| {
            g.set(Guard {
                start: base,
                end: base + len,
                faulted: &self.faulted,
            })
        });
        // The handler runs on this thread, between these fences: the guard is in place
        // before the first byte is touched and stays until the last.
        compiler_fence(Ordering::SeqCst);
        copy();
        compiler_fence(Ordering::SeqCst);
        GUARD.with(|g| g.set(NO_GUARD));
        // Another thread's handler sets the mark before it replaces the page this copy
        // may have read. An acquire fence keeps the copy's loads before the mark's load,
        // so a copy that saw the replacement page sees the mark (free on x86, where
        // loads are not reordered with loads).
        fence(Ordering::Acquire);
        !self.has_faulted()
    }
}

/// The map range the copy running on this thread touches, and that map's fault mark.
#[derive(Clone, Copy)]
struct Guard {
    start: usize,
    end: usize,
    faulted: *const AtomicBool,
}

const NO_GUARD: Guard = Guard {
    start: 0,
    end: 0,
    faulted: std::ptr::null(),
};

thread_local! {
    /// Const-initialised and without a destructor, so reading it from the signal handler
    /// touches only the thread's static TLS block: no lazy initialisation, no allocation.
    static GUARD: Cell<Guard> = const { Cell::new(NO_GUARD) };
}

/// The SIGBUS action in place before [`install_handler`]; faults it does not own go there.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// The system's page size, read once at installation.
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);

/// Installs the SIGBUS handler, once per process.
///
/// # Errors
/// `sigaction`'s, remembered: every later call returns the same error.
fn install_handler() -> io::Result<()> {
    static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();
    INSTALLED
        .get_or_init(install)
        .map_err(io::Error::from_raw_os_error)
}

fn install() -> Result<(), i32> {
    let errno = || {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL)
    };
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = usize::try_from(page)
        .ok()
        .filter(|p| p.is_power_of_two())
        .ok_or_else(errno)?;
    PAGE_SIZE.store(page, Ordering::SeqCst);
    // SAFETY: an all-zero `sigaction` is a valid value of the C struct (no handler, empty
    // mask, no flags); the calls read and write only the structs passed.
    unsafe {
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut previous) != 0 {
            return Err(errno());
        }
        // Recorded before the handler can run, since the handler forwards to it.
        let _ = PREVIOUS.set(previous);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as SigInfoHandler as usize;
        // SA_ONSTACK: a thread that has an alternate signal stack (std gives its threads
        // one) runs the handler there. SA_NODEFER: a SIGBUS while forwarding is delivered
        // rather than blocked.
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) != 0 {
            return Err(errno());
        }
    }
    Ok(())
}

/// A handler installed with `SA_SIGINFO`.
type SigInfoHandler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// The SIGBUS handler. Only async-signal-safe work: a TLS read, an atomic store, `mmap`
/// (a plain system call on Linux), and forwarding.
extern "C" fn on_sigbus(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo. A positive `si_code`
    // means the kernel raised it for a fault (BUS_ADRERR, BUS_OBJERR, ...), and only then
    // is `si_addr` the faulting address; one sent by `kill` or `sigqueue` (`si_code` 0
    // or below) is never this module's.
    let fault_addr = unsafe { ((*info).si_code > 0).then(|| (*info).si_addr() as usize) };
    let guard = GUARD.try_with(Cell::get).unwrap_or(NO_GUARD);
    if let Some(addr) =
        fault_addr.filter(|&a| !guard.faulted.is_null() && guard.start <= a && a < guard.end)
    {
        // SAFETY: the guard points at the fault mark of the map whose copy this thread
        // was running when the signal interrupted it; the copy borrows the map, so the
        // mark is alive.
        unsafe { (*guard.faulted).store(true, Ordering::SeqCst) };
        if replace_page(addr) {
            return;
        }
    }
    forward(signum, info, context);
}

/// Maps a private, zero-filled page over the page holding `addr`, which lies inside a
/// live map. Returns whether it worked.
fn replace_page(addr: usize) -> bool {
    let page = PAGE_SIZE.load(Ordering::SeqCst);
    let start = addr & !(page - 1);
    // SAFETY: the page is inside a mapping this process owns (the guarded map), and only
    // that map's copies touch it; every one of them checks the fault mark, set above,
    // before trusting what it copied. The map's own `munmap` later covers the new page.
    let mapped = unsafe {
        libc::mmap(
            start as *mut libc::c_void,
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    mapped != libc::MAP_FAILED
}

/// Hands a SIGBUS this module does not own to the previous action. For the default or
/// ignored action, the default is restored and the handler returns: the faulting access
/// runs again, faults again, and ends the process as it would have without this module
/// (what std's own handler does for a fault that is not a stack overflow).
fn forward(signum: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let previous = PREVIOUS.get();
    let handler = previous.map_or(libc::SIG_DFL, |p| p.sa_sigaction);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // SAFETY: an all-zero `sigaction` with SIG_DFL is the default action.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
        return;
    }
    let flags = previous.map_or(0, |p| p.sa_flags);
    // SAFETY: `handler` is the function the previous `sigaction` installed, of the
    // signature its flags declare, called as the kernel would have called it.
    unsafe {
        if flags & libc::SA_SIGINFO != 0 {
            let f: SigInfoHandler = std::mem::transmute(handler);
            f(signum, info, context);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(signum);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    const PAGE: usize = 4096;

    /// A file of `pages` pages, each byte of page `p` equal to `p + 1` (never zero, so a
    /// zero page read back is always visible).
    fn patterned(dir: &tempfile::TempDir, pages: usize) -> fs::File {
        let path = dir.path().join("mapped");
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .unwrap();
        for p in 0..pages {
            file.write_all_at(&[p as u8 + 1; PAGE], (p * PAGE) as u64)
                .unwrap();
        }
        file
    }

    #[test]
    fn a_read_past_a_truncation_fails_instead_of_ending_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let file = patterned(&dir, 4);
        let map = GuardedMap::read_only(&file).unwrap();
        let mut buf = vec![0u8; 100];
        assert!(map.read(PAGE + 10, &mut buf));
        assert_eq!(buf, vec![2u8; 100]);

        file.set_len(PAGE as u64).unwrap();
        assert!(!map.read(2 * PAGE, &mut buf), "page 2 is past the end now");
        assert!(map.has_faulted());
        assert!(
            !map.read(0, &mut buf),
            "a faulted map is not read again, even where the file is intact"
        );
        let mut out = vec![9u8; 3];
        assert!(!map.read_into(0, 10, &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn read_into_copies_without_zero_filling_and_across_pages() {
        let dir = tempfile::tempdir().unwrap();
        let file = patterned(&dir, 3);
        let map = GuardedMap::read_only(&file).unwrap();
        let mut out = Vec::new();
        assert!(map.read_into(PAGE - 2, 4, &mut out));
        assert_eq!(out, [1, 1, 2, 2]);
        assert!(map.read_into(3 * PAGE - 1, 1, &mut out));
        assert_eq!(out, [3]);
        assert!(map.read_into(5, 0, &mut out));
        assert!(out.is_empty());
        assert!(!map.has_faulted());
    }

    #[test]
    fn a_write_past_a_truncation_fails_and_leaves_the_map_unused() {
        let dir = tempfile::tempdir().unwrap();
        let file = patterned(&dir, 3);
        let mut map = GuardedMap::writable(&file, 0, 3 * PAGE as u64).unwrap();
        assert!(map.write(10, b"abc"));
        let mut back = [0u8; 3];
        file.read_exact_at(&mut back, 10).unwrap();
        assert_eq!(&back, b"abc", "a write through the map is in the file");

        file.set_len(PAGE as u64).unwrap();
        assert!(!map.write(PAGE + 1, b"lost"), "page 1 is past the end now");
        assert!(!map.write(20, b"def"), "nor is the map written again");
        file.read_exact_at(&mut back, 20).unwrap();
        assert_eq!(back, [1u8; 3], "the refused write did not reach the file");
    }

    #[test]
    #[should_panic(expected = "a copy outside the map")]
    fn a_copy_outside_the_map_is_a_caller_bug() {
        let dir = tempfile::tempdir().unwrap();
        let file = patterned(&dir, 1);
        let map = GuardedMap::read_only(&file).unwrap();
        map.read(PAGE - 1, &mut [0u8; 2]);
    }

    /// Readers on other threads copy through the map while it faults: every copy that
    /// reports success holds the file's bytes, never the zero page put in place.
    #[test]
    fn concurrent_readers_never_accept_the_replacement_page() {
        let dir = tempfile::tempdir().unwrap();
        let pages = 64;
        let file = patterned(&dir, pages);
        let map = GuardedMap::read_only(&file).unwrap();
        let truncated = AtomicBool::new(false);
        std::thread::scope(|s| {
            for t in 0..2 {
                let (map, truncated) = (&map, &truncated);
                s.spawn(move || {
                    let mut buf = vec![0u8; 512];
                    // Each reader goes on for a while after the truncation, so that
                    // both meet the faulting pages; the bound keeps the loop finite.
                    let mut after_truncation = 0;
                    for i in 0..10_000_000usize {
                        if after_truncation == 2_000 {
                            break;
                        }
                        after_truncation += usize::from(truncated.load(Ordering::SeqCst));
                        let page = (i * 7 + t) % pages;
                        if map.read(page * PAGE + 100, &mut buf) {
                            assert!(
                                buf.iter().all(|&b| b == page as u8 + 1),
                                "a copy reported good holds other bytes (page {page})"
                            );
                        }
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
            file.set_len((pages / 2 * PAGE) as u64).unwrap();
            truncated.store(true, Ordering::SeqCst);
        });
        assert!(map.has_faulted(), "the readers met the truncated pages");
        assert!(!map.read(0, &mut [0u8; 1]));
    }

    /// A SIGBUS outside any guarded copy still ends the process: the test runs itself
    /// in a child process, which faults on a truncated map without a guard.
    #[test]
    fn a_fault_outside_a_guarded_copy_still_ends_the_process() {
        const CHILD: &str = "SHALE_SIGBUS_TEST_CHILD";
        let dir = tempfile::tempdir().unwrap();
        if std::env::var_os(CHILD).is_some() {
            let file = patterned(&dir, 2);
            let guarded = GuardedMap::read_only(&file).unwrap();
            file.set_len(0).unwrap();
            // SAFETY: deliberately unguarded: the read of a page past the end of the
            // file raises SIGBUS, which must reach the default action.
            let byte = unsafe { std::ptr::read_volatile(guarded.map.as_ptr().add(PAGE)) };
            // Reaching here means the fault was swallowed; exit cleanly so the parent
            // sees a normal exit and fails.
            std::process::exit(i32::from(byte) + 100);
        }
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "sigbus::tests::a_fault_outside_a_guarded_copy_still_ends_the_process",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Bounded: a handler that swallowed the fault would refault for ever.
        let mut status = None;
        for _ in 0..600 {
            status = child.try_wait().unwrap();
            if status.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let Some(status) = status else {
            child.kill().unwrap();
            panic!("the child neither ended nor exited within 30 s");
        };
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(libc::SIGBUS),
            "child ended with {status:?}"
        );
    }
}
