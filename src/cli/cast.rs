//! `accelsim cast` and `accelsim formats`: argument parsing and I/O only; the work is
//! done by `accelsim::numerics::cast_cli`.

use accelsim::numerics::cast_cli::{formats_table, run_cast_stream, CastCliError};
use accelsim::numerics::{CastOptions, Overflow, Rounding};

use super::CliError;

/// Arguments of `accelsim cast`.
#[derive(clap::Args, Debug)]
pub struct CastArgs {
    /// Target format name (e.g. fp8_e4m3, float8_e4m3fn, int4, mxfp4_e2m1; see `accelsim formats`).
    #[arg(long)]
    pub to: String,
    /// Rounding mode: rne, rna, rtz, up, down or stochastic.
    #[arg(long, default_value = "rne")]
    pub rounding: String,
    /// Seed of the stochastic-rounding stream (one draw per value, in input order).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Saturate finite overflow and ±Inf to ±max finite (OCP saturation mode) instead of
    /// the IEEE/ml_dtypes behaviour (Inf, or NaN for formats without Inf).
    #[arg(long)]
    pub saturate: bool,
}

/// Arguments of `accelsim formats`.
#[derive(clap::Args, Debug)]
pub struct FormatsArgs {}

/// Runs `accelsim cast`: one f32 per stdin line, one JSON object per stdout line.
pub fn run_cast(args: &CastArgs) -> Result<(), CliError> {
    let rounding = Rounding::parse(&args.rounding).ok_or_else(|| {
        CliError::bad_input(format!(
            "unknown rounding mode '{}'; expected one of: {}",
            args.rounding,
            Rounding::ALL.map(Rounding::name).join(", ")
        ))
    })?;
    let overflow = if args.saturate {
        Overflow::Saturate
    } else {
        Overflow::Ieee
    };
    let options = CastOptions::new(rounding, overflow).with_seed(args.seed);
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    match run_cast_stream(&args.to, options, stdin, stdout) {
        Ok(_) => Ok(()),
        Err(CastCliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::from_error(e)),
    }
}

/// Runs `accelsim formats`: prints the table of every format.
pub fn run_formats(_args: &FormatsArgs) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(formats_table().as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::failure(e.to_string())),
    }
}
