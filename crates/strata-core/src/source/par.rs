//! An order-preserving parallel map, for the per-file work of reading a folder (open, read,
//! checksum, lex): a no-op `up` does it for every file on every run.
//!
//! Plain scoped threads over contiguous chunks: the work items are many and alike, so there is
//! nothing for a work-stealing pool (rayon) to balance that would pay for the dependency.

/// Below this many items the threads cost more than they save.
const MIN_PARALLEL: usize = 64;

/// `items.map(f)`, in order, on up to `available_parallelism()` threads (at most 8).
pub(crate) fn par_map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || items.len() < MIN_PARALLEL {
        return items.into_iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(per).collect());
    }
    let f = &f;
    let mut chunks = chunks.into_iter();
    let own = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        // The calling thread takes the first chunk: one thread (and malloc arena) fewer.
        let mut out: Vec<U> = own.into_iter().map(f).collect();
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                // A panic in `f` is a bug; surface it as it would be without threads.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_its_input_at_every_size() {
        for n in [0, 1, 63, 64, 65, 1000, 1001] {
            let out = par_map((0..n).collect(), |i: usize| i * 2);
            assert_eq!(out, (0..n).map(|i| i * 2).collect::<Vec<_>>(), "n = {n}");
        }
    }
}
