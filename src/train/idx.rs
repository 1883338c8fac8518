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
    let io = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(io)?;
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
