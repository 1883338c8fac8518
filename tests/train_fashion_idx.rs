//! The Fashion-MNIST loader on small IDX files written here, gzipped and plain, and its error
//! when the files are missing.

use flate2::write::GzEncoder;
use flate2::Compression;
use radact::train::{read_idx, DatasetError, DatasetSpec, IdxError};
use std::io::Write;
use std::path::Path;

/// The bytes of an unsigned-byte IDX file.
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

fn write(path: &Path, bytes: &[u8], gzip: bool) {
    if gzip {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        std::fs::write(path.with_extension("gz"), enc.finish().unwrap()).unwrap();
    } else {
        std::fs::write(path, bytes).unwrap();
    }
}

/// `n` 3x2 images whose pixels encode the image index, labels `i % 10`.
fn write_set(dir: &Path, prefix: &str, n: u32, gzip: bool) {
    let pixels: Vec<u8> = (0..n)
        .flat_map(|i| [i as u8, 255, 0, 51, 102, 204])
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let images = dir.join(format!("{prefix}-images-idx3-ubyte"));
    write(&images, &idx_bytes(&[n, 3, 2], &pixels), gzip);
    let label_file = dir.join(format!("{prefix}-labels-idx1-ubyte"));
    write(&label_file, &idx_bytes(&[n], &labels), gzip);
}

#[test]
fn reads_gzipped_and_plain_idx_files_alike() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = idx_bytes(&[2, 2], &[1, 2, 3, 4]);
    write(&dir.path().join("plain"), &bytes, false);
    write(&dir.path().join("packed"), &bytes, true);
    let plain = read_idx(&dir.path().join("plain")).unwrap();
    let packed = read_idx(&dir.path().join("packed.gz")).unwrap();
    assert_eq!(plain, packed);
    assert_eq!(plain.dims, vec![2, 2]);
    assert_eq!(plain.data, vec![1, 2, 3, 4]);
    std::fs::write(dir.path().join("short"), idx_bytes(&[3], &[1])).unwrap();
    let err = read_idx(&dir.path().join("short")).unwrap_err();
    assert!(matches!(err, IdxError::Format { .. }));
    assert!(err.to_string().contains("short"), "{err}");
}

#[test]
fn loads_a_fashion_mnist_directory_with_mixed_compression() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), "train", 60, true);
    write_set(dir.path(), "t10k", 12, false);
    let spec = DatasetSpec::FashionMnist {
        dir: dir.path().to_path_buf(),
    };
    let data = spec.load(0).unwrap();
    assert_eq!(data.name, "fashion-mnist");
    assert_eq!((data.n_features(), data.n_classes), (6, 10));
    // The validation set is a sixth of the training file (10 000 of 60 000 for the real one).
    assert_eq!(
        (data.train.len(), data.validation.len(), data.test.len()),
        (50, 10, 12)
    );
    // Pixels are scaled to [0, 1]; the test set keeps its file order.
    assert_eq!(data.test.row(1), &[1.0 / 255.0, 1.0, 0.0, 0.2, 0.4, 0.8]);
    assert_eq!(data.test.labels[..3], [0, 1, 2]);
    // Training and validation rows are drawn from the training file: every index exactly once.
    let mut seen: Vec<u8> = data
        .train
        .features
        .chunks(6)
        .chain(data.validation.features.chunks(6))
        .map(|row| (row[0] * 255.0).round() as u8)
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..60).collect::<Vec<u8>>());
    assert_eq!(spec.load(0).unwrap(), data);
    assert_ne!(spec.load(1).unwrap().validation, data.validation);
}

#[test]
fn missing_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), "train", 12, false);
    let err = DatasetSpec::FashionMnist {
        dir: dir.path().to_path_buf(),
    }
    .load(0)
    .unwrap_err();
    match &err {
        DatasetError::MissingFiles { missing, .. } => assert_eq!(
            missing,
            &["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        ),
        e => panic!("{e}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("t10k-images-idx3-ubyte") && text.contains(".gz"),
        "{text}"
    );
}

#[test]
fn mismatched_counts_and_bad_labels_are_reported_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), "train", 12, false);
    write_set(dir.path(), "t10k", 6, false);
    let labels = dir.path().join("t10k-labels-idx1-ubyte");
    std::fs::write(&labels, idx_bytes(&[5], &[0, 1, 2, 3, 4])).unwrap();
    let spec = DatasetSpec::FashionMnist {
        dir: dir.path().to_path_buf(),
    };
    let err = spec.load(0).unwrap_err().to_string();
    assert!(
        err.contains("t10k-labels-idx1-ubyte") && err.contains("5 labels for 6 images"),
        "{err}"
    );
    std::fs::write(&labels, idx_bytes(&[6], &[0, 1, 2, 3, 4, 10])).unwrap();
    let err = spec.load(0).unwrap_err().to_string();
    assert!(err.contains("label 10"), "{err}");
}
