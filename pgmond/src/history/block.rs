//! Database samples packed in blocks: one row of `db_block` holds a database's consecutive
//! samples (about 480 bytes of them), so a sample costs its values and not a row's key, header
//! and cell. A sample is a time step and fifteen values, each an LEB128 varint:
//!
//! - the step: seconds since the previous sample (the block's first: since the block's key),
//!   doubled, plus one when a microsecond part follows (legacy rows have one; the collector's
//!   samples never do);
//! - each value: 0 for none, else its zigzag form plus one. The four levels (connections,
//!   commits so far, size, frozen age) are stored as the change from the block's previous
//!   value of the same kind, so a slowly moving level costs a byte or two; the eleven
//!   increases are stored as they are.
//!
//! On the benchmark's year of a busy server this takes 34 bytes a sample on disk, against 71
//! for a row per sample.

use super::answers::{Figures, INCREASES};

const MICROS: i64 = 1_000_000;
/// Levels before increases, in `values` order.
const LEVELS: usize = 4;
/// Values of a sample: numbackends, xact_commit, size, frozen_age, then the increases.
pub const VALUES: usize = LEVELS + INCREASES.len();
/// A block takes new samples until it is this long; then the next sample starts a block.
pub const BLOCK_BYTES: usize = 480;

/// One database sample as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Microseconds since the epoch.
    pub t_us: i64,
    pub values: [Option<i64>; VALUES],
}

impl Sample {
    pub fn new(t_us: i64, f: &Figures) -> Sample {
        let mut values = [None; VALUES];
        values[0] = f.nb_max;
        values[1] = (f.commit_n > 0).then_some(f.commit_sum);
        values[2] = f.size_max;
        values[3] = f.age_max;
        values[LEVELS..].copy_from_slice(&f.all_increases());
        Sample { t_us, values }
    }

    pub fn seconds(&self) -> i64 {
        self.t_us.div_euclid(MICROS)
    }

    pub fn numbackends(&self) -> Option<i64> {
        self.values[0]
    }

    pub fn xact_commit(&self) -> Option<i64> {
        self.values[1]
    }

    pub fn size(&self) -> Option<i64> {
        self.values[2]
    }

    pub fn frozen_age(&self) -> Option<i64> {
        self.values[3]
    }

    /// All its figures, or (`all` false) only connections and size, what a server's answer
    /// shows.
    pub fn figures(&self, all: bool) -> Figures {
        if !all {
            return Figures::sample(
                self.numbackends(),
                None,
                self.size(),
                None,
                [None; INCREASES.len()],
            );
        }
        let mut increases = [None; INCREASES.len()];
        increases.copy_from_slice(&self.values[LEVELS..]);
        Figures::sample(
            self.numbackends(),
            self.xact_commit(),
            self.size(),
            self.frozen_age(),
            increases,
        )
    }
}

/// A block that does not decode: the store was changed by something other than pgmond.
#[derive(Debug, thiserror::Error)]
#[error("a sample block of {0} bytes does not decode")]
pub struct Corrupt(usize);

fn put(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn zigzag(v: i64) -> u128 {
    u128::from(((v << 1) ^ (v >> 63)) as u64)
}

fn unzigzag(v: u128) -> Option<i64> {
    let v = u64::try_from(v).ok()?;
    Some(((v >> 1) as i64) ^ -((v & 1) as i64))
}

/// Encodes `samples` (in time order) for a block whose key is the first one's second.
pub fn encode(samples: &[Sample]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 40);
    let mut prev = samples.first().map_or(0, Sample::seconds);
    let mut levels = [0i64; LEVELS];
    for s in samples {
        let us = s.t_us.rem_euclid(MICROS);
        let step = u128::from((s.seconds() - prev) as u64);
        put(&mut out, step << 1 | u128::from(us != 0));
        if us != 0 {
            put(&mut out, us as u128);
        }
        prev = s.seconds();
        for (i, v) in s.values.iter().enumerate() {
            let Some(v) = *v else {
                out.push(0);
                continue;
            };
            let stored = if i < LEVELS {
                let change = v.wrapping_sub(levels[i]);
                levels[i] = v;
                change
            } else {
                v
            };
            put(&mut out, zigzag(stored) + 1);
        }
    }
    out
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u128> {
        let mut v = 0u128;
        for shift in (0..19 * 7).step_by(7) {
            let byte = *self.data.get(self.at)?;
            self.at += 1;
            v |= u128::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

/// The samples of the block keyed `key` (seconds) holding `data`, in time order.
pub fn decode(key: i64, data: &[u8]) -> Result<Vec<Sample>, Corrupt> {
    decode_inner(key, data).ok_or(Corrupt(data.len()))
}

fn decode_inner(key: i64, data: &[u8]) -> Option<Vec<Sample>> {
    let mut r = Reader { data, at: 0 };
    let mut out = Vec::with_capacity(data.len() / 30);
    let (mut seconds, mut levels) = (key, [0i64; LEVELS]);
    while r.at < data.len() {
        let step = r.varint()?;
        seconds = seconds.checked_add(i64::try_from(step >> 1).ok()?)?;
        let us = if step & 1 == 1 {
            i64::try_from(r.varint()?).ok()?
        } else {
            0
        };
        let mut values = [None; VALUES];
        for (i, v) in values.iter_mut().enumerate() {
            let raw = r.varint()?;
            if raw == 0 {
                continue;
            }
            let stored = unzigzag(raw - 1)?;
            *v = Some(if i < LEVELS {
                levels[i] = levels[i].wrapping_add(stored);
                levels[i]
            } else {
                stored
            });
        }
        out.push(Sample {
            t_us: seconds.checked_mul(MICROS)?.checked_add(us)?,
            values,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Extremes, negatives, gaps and sub-second times come back exactly.
    fn round_trip() {
        let mut samples = Vec::new();
        for (i, t_us) in [
            1_767_225_600_000_000,
            1_767_225_600_250_000,
            1_767_226_200_000_000,
            1_767_999_999_999_999,
        ]
        .into_iter()
        .enumerate()
        {
            let mut values = [None; VALUES];
            for (j, v) in values.iter_mut().enumerate() {
                *v = match (i + j) % 5 {
                    0 => None,
                    1 => Some(i64::MAX),
                    2 => Some(i64::MIN),
                    3 => Some(-(j as i64)),
                    _ => Some((i * 1_000 + j) as i64),
                };
            }
            samples.push(Sample { t_us, values });
        }
        let data = encode(&samples);
        assert_eq!(decode(1_767_225_600, &data).unwrap(), samples);
        assert!(decode(1_767_225_600, &data[..data.len() - 1]).is_err());
        assert!(decode(0, &[0xff; 30]).is_err());
    }

    #[test]
    /// A quiet database's 10-minute sample takes a handful of bytes.
    fn quiet_samples_are_small() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| Sample {
                t_us: (1_767_225_600 + i * 600) * MICROS,
                values: [Some(0), Some(1_000 + i), Some(8 << 20), Some(500 + i)]
                    .into_iter()
                    .chain([Some(0); INCREASES.len()])
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap(),
            })
            .collect();
        let data = encode(&samples);
        assert!(data.len() <= 10 * 20 + 10, "{} bytes", data.len());
        assert_eq!(decode(1_767_225_600, &data).unwrap(), samples);
    }
}
