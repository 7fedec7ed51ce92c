//! The `accelsim` command-line tool: a thin layer over the `accelsim` library.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
