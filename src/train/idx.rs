//! Reader for the IDX file format of MNIST and Fashion-MNIST (unsigned-byte arrays only),
//! gzipped or plain.
//!
//! An IDX file starts with two zero bytes, a type code (`0x08` for unsigned bytes), the number of
//! dimensions, then each dimension as a big-endian `u32`, then the data in row-major order.
//! Whether the file is gzipped is decided by its first two bytes (the gzip magic `1f 8b`), not by
//! its name.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The IDX type code of unsigned bytes, the only element type this reader accepts.
const UNSIGNED_BYTE: u8 = 0x08;

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Largest IDX file accepted, compressed or decompressed: 1 GiB, twenty times Fashion-MNIST's
/// training images, so that a gzip bomb or a corrupt header cannot claim many gigabytes.
pub(crate) const MAX_IDX_BYTES: u64 = 1 << 30;

/// An n-dimensional array of unsigned bytes read from an IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The size of each dimension, outermost first (for images: count, rows, columns).
    pub dims: Vec<usize>,
    /// The elements in row-major order; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

/// Why an IDX file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// The file could not be opened, read or decompressed.
    #[error("cannot read IDX file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes are not a valid unsigned-byte IDX array.
    #[error("{path} is not a valid IDX file: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

/// Reads an IDX file, decompressing it first if it is gzipped.
pub fn read_idx(path: &Path) -> Result<IdxArray, IdxError> {
    read_limited(path, MAX_IDX_BYTES)
}

/// [`read_idx`] with a size limit of `limit` bytes, compressed or decompressed.
fn read_limited(path: &Path, limit: u64) -> Result<IdxArray, IdxError> {
    let io = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = || IdxError::Format {
        path: path.to_path_buf(),
        message: format!("larger than the {limit}-byte limit"),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = Vec::new();
    file.take(limit + 1).read_to_end(&mut raw).map_err(io)?;
    if raw.len() as u64 > limit {
        return Err(too_large());
    }
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(io)?;
        if out.len() as u64 > limit {
            return Err(too_large());
        }
        out
    } else {
        raw
    };
    parse_idx(&bytes).map_err(|message| IdxError::Format {
        path: path.to_path_buf(),
        message,
    })
}

/// Parses the bytes of an (uncompressed) IDX file.
fn parse_idx(bytes: &[u8]) -> Result<IdxArray, String> {
    if bytes.len() < 4 {
        return Err(format!(
            "{} bytes is shorter than the 4-byte header",
            bytes.len()
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(format!(
            "the magic number must start with two zero bytes, found {:#04x} {:#04x}",
            bytes[0], bytes[1]
        ));
    }
    if bytes[2] != UNSIGNED_BYTE {
        return Err(format!(
            "element type {:#04x} is not supported (only unsigned bytes, {UNSIGNED_BYTE:#04x})",
            bytes[2]
        ));
    }
    let ndims = usize::from(bytes[3]);
    if ndims == 0 {
        return Err("zero dimensions".to_string());
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(format!(
            "the header of {ndims} dimensions needs {header} bytes, the file has {}",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("dimensions {dims:?} overflow"))?;
    let data = &bytes[header..];
    if data.len() != len {
        return Err(format!(
            "dimensions {dims:?} need {len} data bytes, the file has {}",
            data.len()
        ));
    }
    Ok(IdxArray {
        dims,
        data: data.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(dims: &[u32]) -> Vec<u8> {
        let mut b = vec![0, 0, UNSIGNED_BYTE, dims.len() as u8];
        for d in dims {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn parses_a_three_dimensional_array() {
        let mut b = header(&[2, 1, 3]);
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let a = parse_idx(&b).unwrap();
        assert_eq!(a.dims, vec![2, 1, 3]);
        assert_eq!(a.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_size_limit() {
        // Zeros compress about a thousandfold; reading must stop at the limit, not allocate
        // what the stream expands to (with the real limit, 1 GiB).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.idx.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..4 {
            std::io::Write::write_all(&mut gz, &zeros).unwrap();
        }
        std::io::Write::write_all(&mut gz, &[0]).unwrap();
        gz.finish().unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() < 100_000);
        let e = read_limited(&path, 4 << 20).unwrap_err().to_string();
        assert!(e.contains("larger than the 4194304-byte limit"), "{e}");
        let mut plain = header(&[8]);
        plain.extend_from_slice(&[7; 8]);
        let path = dir.path().join("plain.idx");
        std::fs::write(&path, &plain).unwrap();
        assert!(read_limited(&path, 15)
            .unwrap_err()
            .to_string()
            .contains("limit"));
        assert_eq!(read_limited(&path, 16).unwrap().data, vec![7; 8]);
    }

    #[test]
    fn rejects_wrong_lengths_types_and_magic() {
        let mut short = header(&[4]);
        short.extend_from_slice(&[1, 2, 3]);
        assert!(parse_idx(&short).unwrap_err().contains("need 4 data bytes"));
        let mut float = header(&[1]);
        float[2] = 0x0d;
        assert!(parse_idx(&float).unwrap_err().contains("not supported"));
        assert!(parse_idx(&[1, 0, 8, 1]).unwrap_err().contains("magic"));
        assert!(parse_idx(&[0, 0]).unwrap_err().contains("header"));
        assert!(parse_idx(&[0, 0, 8, 2, 0, 0])
            .unwrap_err()
            .contains("header"));
    }
}
