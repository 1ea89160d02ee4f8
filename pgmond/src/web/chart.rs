//! Line charts drawn by pgmond as SVG: numbers in, markup out, no script. A chart of a year
//! of daily buckets is a few hundred points a line.

use maud::{Markup, html};

const W: f64 = 600.0;
const H: f64 = 200.0;
const LEFT: f64 = 84.0;
const BOTTOM: f64 = 26.0;
const TOP: f64 = 14.0;

/// One line: its label and its points (seconds since the epoch, value or none for a gap).
pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<(i64, Option<f64>)>,
}

/// A round number at or above `v`, for the top of the axis.
fn ceiling(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// The polylines of a series: one per run of points without a gap.
fn runs(
    points: &[(i64, Option<f64>)],
    x: impl Fn(i64) -> f64,
    y: impl Fn(f64) -> f64,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for (t, v) in points {
        match v {
            Some(v) if v.is_finite() => {
                if !run.is_empty() {
                    run.push(' ');
                }
                run.push_str(&format!("{:.1},{:.1}", x(*t), y(*v)));
            }
            _ => {
                if !run.is_empty() {
                    out.push(std::mem::take(&mut run));
                }
            }
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// A chart of `series` over `span` (seconds), values shown with `unit`; `empty` says what
/// to expect when there is nothing to draw.
pub fn chart(
    title: &str,
    unit: fn(f64) -> String,
    series: &[Series<'_>],
    span: (i64, i64),
    empty: &str,
) -> Markup {
    let values = || {
        series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|p| p.1))
    };
    let has_points = values().any(f64::is_finite);
    let top = ceiling(values().filter(|v| v.is_finite()).fold(0.0, f64::max));
    let (t0, t1) = (span.0, span.1.max(span.0 + 1));
    let x = |t: i64| LEFT + (W - LEFT - 4.0) * ((t - t0) as f64 / (t1 - t0) as f64);
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v / top).clamp(0.0, 1.0));
    let latest = |s: &Series<'_>| s.points.iter().rev().find_map(|p| p.1);
    html! {
        figure.chart {
            figcaption { (title) }
            @if has_points {
                svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title) {
                    title { (title) ", " (utc(t0)) " to " (utc(t1)) }
                    line.axis x1=(LEFT) y1=(H - BOTTOM) x2=(W) y2=(H - BOTTOM) {}
                    line.axis x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H - BOTTOM) {}
                    text x=(LEFT - 6.0) y=(TOP + 5.0) text-anchor="end" { (unit(top)) }
                    text x=(LEFT - 6.0) y=(H - BOTTOM) text-anchor="end" { (unit(0.0)) }
                    text x=(LEFT) y=(H - 6.0) { (utc(t0)) }
                    text x=(W - 4.0) y=(H - 6.0) text-anchor="end" { (utc(t1)) }
                    @for (i, s) in series.iter().enumerate() {
                        @for run in runs(&s.points, x, y) {
                            polyline class=(format!("s{}", i % 5)) points=(run) {}
                        }
                    }
                }
                ul.legend {
                    @for (i, s) in series.iter().enumerate() {
                        li {
                            span class=(format!("key k{}", i % 5)) {}
                            (s.label) ": " (latest(s).map_or_else(|| "—".to_owned(), unit))
                        }
                    }
                }
            } @else {
                p.empty { (empty) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Gaps split a line; the axis tops out at a round number.
    fn gaps_and_ceiling() {
        let pts = [(0, Some(1.0)), (1, Some(2.0)), (2, None), (3, Some(3.0))];
        assert_eq!(runs(&pts, |t| t as f64, |v| v).len(), 2);
        assert_eq!(ceiling(73.0), 100.0);
        assert_eq!(ceiling(0.3), 0.5);
        assert_eq!(ceiling(0.0), 1.0);
    }
}
