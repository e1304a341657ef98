//! Hiding database passwords from other users' `ps`: the process's own command line (what
//! `/proc/PID/cmdline` shows) is overwritten in place, every password byte of a database URL
//! argument becoming `*`. Linux only, and best effort: the argument memory is written through
//! `/proc/self/mem` (plain file I/O, no `unsafe`), located by `arg_start`/`arg_end` in
//! `/proc/self/stat`. Until it runs (the first milliseconds) and on other systems, `ps` shows
//! the URL as typed: `DATABASE_URL` or `~/.pgpass` keep a password off the command line
//! altogether.

/// Overwrite the passwords of database URL arguments in this process's command line. Call it
/// after the arguments were parsed: the standard library reads them from that same memory.
pub fn hide_passwords() {
    #[cfg(target_os = "linux")]
    let _ = linux::hide();
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::OpenOptions;
    use std::io;
    use std::os::unix::fs::FileExt;

    pub fn hide() -> io::Result<()> {
        let (start, end) = arg_area()?;
        let mem = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/proc/self/mem")?;
        let mut area = vec![0u8; usize::try_from(end.saturating_sub(start)).unwrap_or(0)];
        mem.read_exact_at(&mut area, start)?;
        let mut offset = 0u64;
        for arg in area.split(|b| *b == 0) {
            if let Ok(text) = std::str::from_utf8(arg) {
                for r in strata_drivers::url::secret_ranges(text) {
                    mem.write_all_at(&vec![b'*'; r.len()], start + offset + r.start as u64)?;
                }
            }
            offset += arg.len() as u64 + 1;
        }
        Ok(())
    }

    /// `arg_start` and `arg_end` (fields 48 and 49 of `/proc/self/stat`).
    fn arg_area() -> io::Result<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc/self/stat");
        // The command name (field 2) is in parentheses and may hold spaces.
        let after = stat.rfind(')').map(|i| &stat[i + 1..]).ok_or_else(bad)?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize| -> io::Result<u64> {
            fields
                .get(n - 3)
                .and_then(|f| f.parse().ok())
                .ok_or_else(bad)
        };
        Ok((field(48)?, field(49)?))
    }
}
