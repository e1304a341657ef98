//! Async runs for tokio (feature `tokio`).
//!
//! The engine is synchronous for now: each run goes to a dedicated thread of its own (never a
//! runtime worker, never `block_on`), and the future awaits its result through a oneshot
//! channel. So it is safe in a current-thread runtime, in a multi-thread one, and inside
//! another task; the runtime keeps serving other tasks meanwhile.

use crate::error::Error;
use crate::migrator::Migrator;
use crate::report::Report;
use crate::status::Status;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

impl Migrator<'static> {
    /// [`Migrator::up`], awaited. The callback (if any) runs on the migration thread.
    ///
    /// ```
    /// static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let report = rt.block_on(strata::Migrator::new(&M).up_async(&url))?;
    /// assert!(!report.is_empty());
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub async fn up_async(self, url: &str) -> Result<Report, Error> {
        self.off_runtime(url, |m, url| m.up(url)).await
    }

    /// [`Migrator::up_to`], awaited.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let report = rt.block_on(strata::Migrator::new(&M).up_to_async(&url, 1))?;
    /// assert_eq!(report.migrations.len(), 1);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub async fn up_to_async(self, url: &str, version: u64) -> Result<Report, Error> {
        self.off_runtime(url, move |m, url| m.up_to(url, version))
            .await
    }

    /// [`Migrator::down`], awaited.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(strata::Migrator::new(&M).up_async(&url))?;
    /// let report = rt.block_on(strata::Migrator::new(&M).down_async(&url, 1))?;
    /// assert_eq!(report.migrations.len(), 1);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub async fn down_async(self, url: &str, n: u64) -> Result<Report, Error> {
        self.off_runtime(url, move |m, url| m.down(url, n)).await
    }

    /// [`Migrator::status`], awaited.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let status = rt.block_on(strata::Migrator::new(&M).status_async(&url))?;
    /// assert!(status.pending() > 0);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub async fn status_async(self, url: &str) -> Result<Status, Error> {
        self.off_runtime(url, |m, url| m.status(url)).await
    }

    /// Run `op` on a new thread and await its result; a panic there resumes here.
    async fn off_runtime<T: Send + 'static>(
        mut self,
        url: &str,
        op: impl FnOnce(&mut Migrator<'static>, &str) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let url = url.to_string();
        std::thread::Builder::new()
            .name("strata-migrate".into())
            .spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| op(&mut self, &url)));
                // The receiver is gone only when the caller dropped the future: nobody waits.
                let _ = tx.send(outcome);
            })
            .map_err(Error::Thread)?;
        match rx.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => resume_unwind(panic),
            // The thread always sends (the closure cannot unwind past catch_unwind).
            Err(_closed) => unreachable!("the migration thread ended without sending a result"),
        }
    }
}
