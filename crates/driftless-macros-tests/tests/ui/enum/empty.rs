use driftless::DbEnum;

#[derive(DbEnum)]
enum Never {}

fn main() {}
