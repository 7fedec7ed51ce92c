//! The SVG plots render: each is parsed and rasterised to PNG with resvg (an independent
//! SVG implementation), and the rendered pixels show the Pareto front in red and the
//! other points in grey. The PNGs are left in the target folder for a look.

use std::path::{Path, PathBuf};

use accelsim::dse::plot::{energy_bars_svg, scatter_svg};
use accelsim::dse::spec::PlotSpec;
use accelsim::dse::{front_of, Row, Shard, Sweep};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn run_mlp() -> (Sweep, Vec<Row>) {
    let sweep = Sweep::load(&root().join("sweeps/mlp6_precision.json")).unwrap();
    let ids = sweep.points().shard_ids(Shard::WHOLE);
    let rows = std::sync::Mutex::new(Vec::new());
    sweep.evaluate_many(&ids, |r| rows.lock().unwrap().push(Row::from_result(&r)));
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by_key(|r| r.id);
    (sweep, rows)
}

/// Renders SVG text to a pixmap and saves it as PNG next to the test binaries.
fn render(svg: &str, name: &str) -> resvg::tiny_skia::Pixmap {
    // Text renders where the machine has fonts (it does not change the checks below).
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    opt.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    let tree = resvg::usvg::Tree::from_str(svg, &opt).expect("plot is valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    pixmap.save_png(&out).unwrap();
    pixmap
}

fn count(p: &resvg::tiny_skia::Pixmap, pred: impl Fn(u8, u8, u8) -> bool) -> usize {
    p.pixels()
        .iter()
        .filter(|c| pred(c.red(), c.green(), c.blue()))
        .count()
}

#[test]
fn scatter_plot_renders_front_in_red() {
    let (sweep, rows) = run_mlp();
    let cols = sweep.columns();
    let spec = PlotSpec {
        x: "capacity_bits".into(),
        y: "latency_s".into(),
        log_x: false,
        log_y: false,
    };
    let svg = scatter_svg("mlp6", &cols, &rows, &spec).unwrap().unwrap();
    assert!(svg.starts_with("<svg"));
    let png = render(&svg, "mlp6_latency_vs_capacity.png");
    assert_eq!((png.width(), png.height()), (900, 640));
    let red = count(&png, |r, g, b| r > 180 && g < 90 && b < 90);
    let grey = count(&png, |r, g, b| r == g && g == b && (120..220).contains(&r));
    println!("scatter: {red} red pixels, {grey} grey pixels");
    assert!(red > 500, "front points visible ({red} red pixels)");
    assert!(grey > 1000, "other points visible ({grey} grey pixels)");
}

#[test]
fn energy_bars_render_every_component_present() {
    let (sweep, rows) = run_mlp();
    let cols = sweep.columns();
    let front = front_of(&cols, &rows, sweep.pareto());
    let svg = energy_bars_svg("mlp6", &cols, &rows, &front, sweep.pareto())
        .unwrap()
        .unwrap();
    let png = render(&svg, "mlp6_energy_front.png");
    // MAC (blue) and DRAM (purple) energy dominate this workload.
    let blue = count(&png, |r, g, b| (r, g, b) == (31, 119, 180));
    let purple = count(&png, |r, g, b| (r, g, b) == (148, 103, 189));
    println!("bars: {blue} MAC pixels, {purple} DRAM pixels");
    assert!(blue > 2000 && purple > 2000);
}

#[test]
fn no_points_no_plot() {
    let (sweep, _) = run_mlp();
    let spec = PlotSpec {
        x: "capacity_bits".into(),
        y: "latency_s".into(),
        log_x: true,
        log_y: true,
    };
    assert!(scatter_svg("empty", &sweep.columns(), &[], &spec)
        .unwrap()
        .is_none());
}
