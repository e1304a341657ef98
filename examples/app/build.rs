// Rebuild when a migration is added or removed (editing one is noticed without this).
fn main() {
    strata::build::watch("migrations");
}
