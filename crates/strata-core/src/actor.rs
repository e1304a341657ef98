//! Who runs migrations, as recorded in the ledger's `applied_by`: `user@host`, computed the same
//! way by the CLI and by programs embedding Strata.

/// `user@host` for this process: [`process_user`] (or `unknown`) at [`hostname`].
///
/// ```
/// let actor = strata_core::actor::default_actor();
/// assert!(actor.contains('@'));
/// ```
pub fn default_actor() -> String {
    actor(process_user().as_deref())
}

/// `user@host` for `user` (`unknown` when `None`) on this machine.
///
/// ```
/// assert!(strata_core::actor::actor(Some("ci")).starts_with("ci@"));
/// ```
pub fn actor(user: Option<&str>) -> String {
    format!("{}@{}", user.unwrap_or("unknown"), hostname())
}

/// The account running this process: `USER`, else `LOGNAME`, else the name of the process's
/// uid in /etc/passwd (containers often have no `USER` set). Empty values count as unset.
pub fn process_user() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    var("USER").or_else(|| var("LOGNAME")).or_else(os_user)
}

#[cfg(unix)]
fn os_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn os_user() -> Option<String> {
    None
}

/// This machine's name: the kernel's, else `HOSTNAME`, else `localhost`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
