//! Results go to stdout through [`out!`] and [`outln!`]: when the reader stops early
//! (`strata status --format json | head`), the run ends quietly with 141 — what a Unix tool
//! killed by SIGPIPE reports — instead of panicking. (Rust ignores SIGPIPE, rightly: restoring
//! it would also let a closed database socket kill the process without a message.)

use std::io::{ErrorKind, Write};

/// Write `args` to stdout; see the module doc for a closed pipe.
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(i32::from(crate::exit::FAILURE));
    }
}

/// `print!` that ends the run quietly on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::write(format_args!($($arg)*)) };
}

/// `println!` that ends the run quietly on a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*))) };
}
