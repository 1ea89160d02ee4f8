//! Terminal charts: a trend reads faster as a line of blocks than as a column of numbers, and
//! a history as a chart with its scale and its time axis.

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` (oldest first; `None` for a gap) drawn in at most `width` cells, each the average
/// of the values it covers, scaled from the smallest to the largest; a gap is a space.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let cells = values.len().min(width);
    let averaged: Vec<Option<f64>> = (0..cells)
        .map(|c| {
            let (from, to) = (c * values.len() / cells, (c + 1) * values.len() / cells);
            let known: Vec<f64> = values[from..to.max(from + 1)]
                .iter()
                .flatten()
                .copied()
                .collect();
            (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
        })
        .collect();
    let known = averaged.iter().flatten();
    let (low, high) = known.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    averaged
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if high <= low => BLOCKS[3],
            Some(v) => {
                let step = ((v - low) / (high - low) * (BLOCKS.len() - 1) as f64).round();
                BLOCKS[step as usize]
            }
        })
        .collect()
}

/// A line chart of `points` (seconds since the epoch, value), drawn once as text: a value
/// scale on the left (its `unit`), a time axis below with the window's start, middle and end
/// in UTC, braille dots for the line. `width` × `height` cells; empty without two points.
pub fn line_chart(
    points: &[(f64, f64)],
    unit: &str,
    show: impl Fn(f64) -> String,
    (width, height): (u16, u16),
) -> String {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};
    if points.len() < 2 {
        return String::new();
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let (low, high) = points.iter().fold((f64::MAX, f64::MIN), |(l, h), (_, v)| {
        (l.min(*v), h.max(*v))
    });
    // A flat line still gets a scale around it.
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 1.0, high + 1.0)
    };
    let time = |t: f64| {
        chrono::DateTime::from_timestamp(t as i64, 0)
            .map(|d| d.format("%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .data(points);
    let chart = Chart::new(vec![dataset])
        .x_axis(Axis::default().bounds([x0, x1.max(x0 + 1.0)]).labels([
            time(x0),
            time((x0 + x1) / 2.0),
            format!("{} UTC", time(x1)),
        ]))
        .y_axis(
            Axis::default()
                .bounds([low, high])
                .title(unit.to_owned())
                .labels([show(low), show((low + high) / 2.0), show(high)]),
        );
    let area = Rect::new(0, 0, width, height);
    let mut buffer = Buffer::empty(area);
    chart.render(area, &mut buffer);
    (0..height)
        .map(|y| {
            let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
            row.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// The chart has its scale (lowest and highest values) and its time axis (the window's
    /// ends), and draws something between them.
    fn a_chart_with_its_axes() {
        let points: Vec<(f64, f64)> = (0..60)
            .map(|i| (1_764_842_400.0 + 60.0 * f64::from(i), f64::from(i % 10)))
            .collect();
        let text = line_chart(&points, "sessions", |v| format!("{v:.0}"), (60, 12));
        assert!(text.contains("12-04 10:00"), "{text}");
        assert!(text.contains("10:59 UTC"), "{text}");
        assert!(text.contains('9') && text.contains("sessions"), "{text}");
        assert!(
            text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
            "{text}"
        );
        assert_eq!(
            line_chart(&points[..1], "x", |v| v.to_string(), (60, 12)),
            ""
        );
    }

    #[test]
    fn lines_of_blocks() {
        assert_eq!(sparkline(&[Some(0.0), Some(7.0)], 10), "▁█");
        assert_eq!(sparkline(&[Some(1.0), None, Some(1.0)], 10), "▄ ▄");
        // Eight values in four cells: pairs averaged.
        let rising: Vec<Option<f64>> = (0..8).map(|i| Some(i as f64)).collect();
        assert_eq!(sparkline(&rising, 4), "▁▃▆█");
        assert_eq!(sparkline(&[], 4), "");
    }
}
