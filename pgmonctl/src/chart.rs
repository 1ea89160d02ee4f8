//! Terminal charts: a trend reads faster as a line of blocks than as a column of numbers.

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

#[cfg(test)]
mod tests {
    use super::*;

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
