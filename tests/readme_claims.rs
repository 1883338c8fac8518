//! Numbers that README.md states about the library are the library's: a README claim is backed
//! by a test.

use radact::expr::primitive::CATALOGUE;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn the_primitive_count_is_the_catalogue_size() {
    let claim = format!("({} primitives with", CATALOGUE.len());
    assert!(
        readme().contains(&claim),
        "README.md should say `{claim}`: the catalogue has {} primitives",
        CATALOGUE.len()
    );
}
