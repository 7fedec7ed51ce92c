//! SVG plots of sweep results (plotters, SVG backend only: no system fonts needed):
//! scatter plots of one metric against another with the 2-D Pareto front highlighted,
//! and stacked energy-breakdown bars for the points of the front.

use plotters::prelude::*;

use super::metrics::Metric;
use super::pareto::pareto_front;
use super::rows::Row;
use super::spec::PlotSpec;
use super::sweep::{Objective, Status};

const W: u32 = 900;
const H: u32 = 640;
const FRONT: RGBColor = RGBColor(214, 39, 40);
const OTHERS: RGBColor = RGBColor(150, 150, 150);

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

fn ok_rows<'a>(columns: &[String], rows: &'a [Row]) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| r.text(columns, "status") == Status::Ok.name())
        .collect()
}

fn range(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// Tick label: plain for moderate magnitudes, scientific otherwise.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-2..1e5).contains(&a) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.2e}")
    }
}

fn axis_value(v: f64, log: bool) -> f64 {
    if log {
        if v > 0.0 {
            v.log10()
        } else {
            f64::NAN
        }
    } else {
        v
    }
}

fn axis_desc(m: Metric, log: bool) -> String {
    if log {
        format!("log10({})", m.name())
    } else {
        m.name().to_string()
    }
}

/// A scatter plot of `spec.y` against `spec.x` over the `ok` rows, with the points of
/// their 2-D Pareto front (natural directions) in red, joined by a line. `None` when no
/// row has both values.
pub fn scatter_svg(
    title: &str,
    columns: &[String],
    rows: &[Row],
    spec: &PlotSpec,
) -> Result<Option<String>, String> {
    let xm = Metric::parse(&spec.x).ok_or_else(|| format!("unknown metric '{}'", spec.x))?;
    let ym = Metric::parse(&spec.y).ok_or_else(|| format!("unknown metric '{}'", spec.y))?;
    let pts: Vec<(f64, f64)> = ok_rows(columns, rows)
        .iter()
        .map(|r| {
            (
                axis_value(r.metric(columns, xm), spec.log_x),
                axis_value(r.metric(columns, ym), spec.log_y),
            )
        })
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if pts.is_empty() {
        return Ok(None);
    }
    let raw: Vec<Vec<f64>> = pts.iter().map(|&(x, y)| vec![x, y]).collect();
    // log10 is monotonic, so the front of the transformed values is the same set.
    let front_idx = pareto_front(&raw, &[xm.natural_goal(), ym.natural_goal()]);
    let mut front: Vec<(f64, f64)> = front_idx.iter().map(|&i| pts[i]).collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let (x0, x1) = range(pts.iter().map(|p| p.0));
    let (y0, y1) = range(pts.iter().map(|p| p.1));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .x_desc(axis_desc(xm, spec.log_x))
            .y_desc(axis_desc(ym, spec.log_y))
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                pts.iter()
                    .map(|&p| Circle::new(p, 3, OTHERS.mix(0.6).filled())),
            )
            .map_err(err)?
            .label(format!("all points ({})", pts.len()))
            .legend(|(x, y)| Circle::new((x + 10, y), 4, OTHERS.filled()));
        chart
            .draw_series(std::iter::once(PathElement::new(front.clone(), FRONT)))
            .map_err(err)?;
        chart
            .draw_series(front.iter().map(|&p| Circle::new(p, 5, FRONT.filled())))
            .map_err(err)?
            .label(format!("Pareto front ({})", front.len()))
            .legend(|(x, y)| Circle::new((x + 10, y), 5, FRONT.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(Some(svg))
}

/// Stacked energy-breakdown bars (MAC, vector, SRAM, DRAM, static) for the rows at
/// `front` (indices into `rows`), ordered by the first objective. `None` when empty.
pub fn energy_bars_svg(
    title: &str,
    columns: &[String],
    rows: &[Row],
    front: &[usize],
    objectives: &[Objective],
) -> Result<Option<String>, String> {
    if front.is_empty() {
        return Ok(None);
    }
    let mut order: Vec<&Row> = front.iter().map(|&i| &rows[i]).collect();
    if let Some(o) = objectives.first() {
        order.sort_by(|a, b| {
            a.metric(columns, o.metric)
                .total_cmp(&b.metric(columns, o.metric))
                .then(a.id.cmp(&b.id))
        });
    }
    let parts: [(Metric, &str, RGBColor); 5] = [
        (Metric::EnergyMacPj, "MAC", RGBColor(31, 119, 180)),
        (Metric::EnergyVectorPj, "vector", RGBColor(255, 127, 14)),
        (Metric::EnergySramPj, "SRAM", RGBColor(44, 160, 44)),
        (Metric::EnergyDramPj, "DRAM", RGBColor(148, 103, 189)),
        (Metric::EnergyStaticPj, "static", RGBColor(140, 86, 75)),
    ];
    let totals: Vec<f64> = order
        .iter()
        .map(|r| {
            parts
                .iter()
                .map(|p| r.metric(columns, p.0))
                .filter(|v| v.is_finite())
                .sum()
        })
        .collect();
    let ymax = totals.iter().cloned().fold(0.0f64, f64::max).max(1e-30) * 1.08;
    let n = order.len();
    let ids: Vec<u64> = order.iter().map(|r| r.id).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..n as f64, 0f64..ymax)
            .map_err(err)?;
        let by = objectives.first().map(|o| o.metric.name()).unwrap_or("id");
        chart
            .configure_mesh()
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .disable_x_mesh()
            .x_labels(n.min(20))
            .x_label_formatter(&|v| {
                let i = v.floor() as usize;
                ids.get(i).map(|id| format!("#{id}")).unwrap_or_default()
            })
            .x_desc(format!("Pareto-front points by {by} (point id)"))
            .y_desc("energy per run, pJ")
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(err)?;
        let mut base = vec![0.0f64; n];
        for (m, label, color) in parts {
            let bars: Vec<Rectangle<(f64, f64)>> = order
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let v = r.metric(columns, m);
                    let v = if v.is_finite() { v } else { 0.0 };
                    let b = base[i];
                    base[i] += v;
                    Rectangle::new(
                        [(i as f64 + 0.15, b), (i as f64 + 0.85, b + v)],
                        color.filled(),
                    )
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(Some(svg))
}

/// File name of a scatter plot (`latency_s_vs_capacity_bits.svg`).
pub fn scatter_file_name(spec: &PlotSpec) -> String {
    format!("{}_vs_{}.svg", spec.y, spec.x)
}

/// Writes every scatter plot of `plots` and the energy bars of the front into
/// `dir/plots/`; returns the files written.
pub fn write_plots(
    dir: &std::path::Path,
    title: &str,
    columns: &[String],
    finished: &super::store::Finished,
    plots: &[PlotSpec],
    objectives: &[Objective],
) -> Result<Vec<std::path::PathBuf>, super::DseError> {
    let pdir = dir.join("plots");
    std::fs::create_dir_all(&pdir).map_err(|e| {
        super::DseError::io(format!("{}: cannot create folder: {e}", pdir.display()), e)
    })?;
    let mut written = Vec::new();
    for spec in plots {
        let t = format!("{title}: {} vs {}", spec.y, spec.x);
        if let Some(svg) =
            scatter_svg(&t, columns, &finished.rows, spec).map_err(super::DseError::failure)?
        {
            let p = pdir.join(scatter_file_name(spec));
            super::store::write_atomic(&p, svg.as_bytes())?;
            written.push(p);
        }
    }
    let t = format!("{title}: energy breakdown of the Pareto front");
    if let Some(svg) = energy_bars_svg(&t, columns, &finished.rows, &finished.front, objectives)
        .map_err(super::DseError::failure)?
    {
        let p = pdir.join("energy_front.svg");
        super::store::write_atomic(&p, svg.as_bytes())?;
        written.push(p);
    }
    Ok(written)
}
