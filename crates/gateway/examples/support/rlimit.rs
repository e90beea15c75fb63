//! Raising the open-file limit for the benchmark programs: each connection is one descriptor.

/// Descriptors wanted: 20,000 connections on each side plus headroom.
const WANTED_NOFILE: libc::rlim_t = 200_000;

/// Raises RLIMIT_NOFILE to [`WANTED_NOFILE`] (raising the hard limit too when the process may),
/// else to the hard limit. Returns the soft limit in force afterwards.
pub fn raise_nofile_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        let wanted = libc::rlimit {
            rlim_cur: WANTED_NOFILE.max(limit.rlim_cur),
            rlim_max: WANTED_NOFILE.max(limit.rlim_max),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
            return wanted.rlim_cur;
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    limit.rlim_cur
}
