//! Every line Strata prints goes through here: results to stdout with [`out!`] and [`outln!`],
//! progress, warnings and errors to stderr with [`err!`] and [`errln!`]. When the reader of
//! either stream stops early (`strata status --format json | head`, `strata up 2>&1 | head -1`),
//! the run ends quietly with 141 — what a Unix tool killed by SIGPIPE reports, and what
//! golang-migrate (a Go program) does — instead of panicking as `println!`/`eprintln!` do. (Rust
//! ignores SIGPIPE, rightly: restoring it would also let a closed database socket kill the
//! process without a message.) Ending between two lines is safe: a line is printed after the
//! migration it reports ended, and a migration cut short by the exit is rolled back or left
//! dirty exactly as after a kill.

use std::io::{ErrorKind, Write};

/// Write `args` to stdout; see the module doc for a closed pipe.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(i32::from(crate::exit::CLOSED_PIPE));
        }
        write_err(format_args!("error: cannot write to stdout: {e}\n"));
        std::process::exit(i32::from(crate::exit::FAILURE));
    }
}

/// Write `args` to stderr; see the module doc for a closed pipe. Any other failure leaves
/// nowhere to say why: it ends the run with 1.
pub fn write_err(args: std::fmt::Arguments<'_>) {
    let text = crate::paint::prefixes(&args.to_string());
    let mut err = anstream::stderr().lock();
    if let Err(e) = err.write_all(text.as_bytes()).and_then(|()| err.flush()) {
        std::process::exit(i32::from(if e.kind() == ErrorKind::BrokenPipe {
            crate::exit::CLOSED_PIPE
        } else {
            crate::exit::FAILURE
        }));
    }
}

/// `print!` that ends the run quietly on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::printer::write_out(format_args!($($arg)*)) };
}

/// `println!` that ends the run quietly on a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::printer::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` that ends the run quietly on a closed pipe.
macro_rules! err {
    ($($arg:tt)*) => { $crate::printer::write_err(format_args!($($arg)*)) };
}

/// `eprintln!` that ends the run quietly on a closed pipe.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::printer::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}
