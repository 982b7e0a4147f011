//! SVG plots drawn with plotters' SVG backend (no font files needed: text is emitted as
//! SVG `<text>` elements and laid out with plotters' built-in size estimate).

use plotters::prelude::*;

use super::RunResult;

const WIDTH_PX: u32 = 900;
const HEIGHT_PX: u32 = 500;
const PERCENTILE_LABELS: [&str; 5] = ["p50", "p95", "p99", "p99.9", "max"];

fn color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    PALETTE[i % PALETTE.len()]
}

/// Latency percentiles (log µs) per target and op, one line each.
pub fn latency_svg(workload: &str, results: &[&RunResult]) -> String {
    let series: Vec<(String, [f64; 5])> = results
        .iter()
        .flat_map(|r| {
            r.run.per_op.iter().map(move |op| {
                (
                    format!("{} {}", r.target, op.op),
                    [op.p50_us, op.p95_us, op.p99_us, op.p999_us, op.max_us].map(|v| v.max(0.01)),
                )
            })
        })
        .collect();
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0, f64::max)
        * 2.0;
    let y_min = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(f64::MAX, f64::min)
        .min(y_max / 10.0)
        / 2.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(
                format!("YCSB {workload}: latency percentiles (µs, log)"),
                ("sans-serif", 20),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..4f64, (y_min..y_max).log_scale());
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .x_labels(5)
                .x_label_formatter(&|x| {
                    PERCENTILE_LABELS
                        .get(x.round() as usize)
                        .copied()
                        .unwrap_or("")
                        .to_string()
                })
                .y_desc("µs")
                .draw();
            for (i, (name, values)) in series.iter().enumerate() {
                let c = color(i);
                let points = values.iter().enumerate().map(|(x, &y)| (x as f64, y));
                if let Ok(s) = chart.draw_series(LineSeries::new(points, c.stroke_width(2))) {
                    s.label(name.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                    });
                }
            }
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw();
        }
        let _ = root.present();
    }
    svg
}

/// Completed ops per second over the run phase, one line per target.
pub fn throughput_svg(workload: &str, results: &[&RunResult]) -> String {
    let x_max = results
        .iter()
        .map(|r| r.run.ops_per_second_timeline.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let y_max = results
        .iter()
        .flat_map(|r| r.run.ops_per_second_timeline.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(
                format!("YCSB {workload}: throughput over time (ops completed per second)"),
                ("sans-serif", 20),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max);
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .x_desc("second")
                .y_desc("ops/s")
                .draw();
            for (i, r) in results.iter().enumerate() {
                let c = color(i);
                // A partial last second would plot as a dip; it is drawn but marked by
                // being the final point.
                let points = r
                    .run
                    .ops_per_second_timeline
                    .iter()
                    .enumerate()
                    .map(|(x, &y)| (x as f64, y as f64));
                if let Ok(s) = chart.draw_series(LineSeries::new(points, c.stroke_width(2))) {
                    s.label(r.target.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                    });
                }
            }
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw();
        }
        let _ = root.present();
    }
    svg
}

/// The slowest op of each second (log µs), one line per target, with the engine's
/// flushes and compactions of each second marked below the lines (Shale's targets):
/// where in a run the tail happened, and what the engine was doing then.
pub fn tail_svg(workload: &str, results: &[&RunResult]) -> String {
    let x_max = results
        .iter()
        .map(|r| r.run.slowest_us_timeline.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let y_max = results
        .iter()
        .flat_map(|r| r.run.slowest_us_timeline.iter().copied())
        .fold(1.0f64, f64::max)
        * 2.0;
    let y_min = 1.0f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "YCSB {workload}: slowest op per second; ticks: flushes (F) and compactions (C)"
                ),
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale());
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .x_desc("second")
                .y_desc("slowest op, µs (log)")
                .draw();
            for (i, r) in results.iter().enumerate() {
                let c = color(i);
                // A second in which no op completed has no slowest op: the line breaks
                // there rather than dropping to the axis (the next second's slowest op
                // shows how long the ops in flight waited).
                let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                for (x, (&us, &ops)) in r
                    .run
                    .slowest_us_timeline
                    .iter()
                    .zip(&r.run.ops_per_second_timeline)
                    .enumerate()
                {
                    match runs.last_mut() {
                        Some(run) if ops > 0 => run.push((x as f64, us.max(y_min))),
                        Some(run) if !run.is_empty() => runs.push(Vec::new()),
                        _ => {}
                    }
                }
                for (n, run) in runs.into_iter().filter(|r| !r.is_empty()).enumerate() {
                    let Ok(s) = chart.draw_series(LineSeries::new(run, c.stroke_width(2))) else {
                        continue;
                    };
                    if n == 0 {
                        s.label(r.target.clone()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                        });
                    }
                }
                // Each target's events on a row of its own near the bottom, in its color.
                let row = y_min * 1.6f64.powi(i as i32 * 2 + 1);
                let marks = r.run.engine_events.iter().flat_map(|e| {
                    let x = e.second as f64 + 0.5;
                    let flush = (e.flushes > 0).then_some(("F", x - 0.2));
                    let compaction = (e.compactions > 0).then_some(("C", x + 0.2));
                    flush.into_iter().chain(compaction)
                });
                let _ = chart.draw_series(marks.map(|(label, x)| {
                    Text::new(
                        label.to_string(),
                        (x, row),
                        ("sans-serif", 11).into_font().color(&c),
                    )
                }));
            }
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw();
        }
        let _ = root.present();
    }
    svg
}
