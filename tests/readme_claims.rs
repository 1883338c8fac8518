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

/// The "Library" section's example, as written there: f and g in one pass of the joint program,
/// and the activation as readable RON.
#[test]
fn the_library_example_runs_as_written() -> Result<(), Box<dyn std::error::Error>> {
    let text = readme();
    assert!(text.contains("compiled.joint.eval_many(&x, &mut [&mut y, &mut g]);"));
    use radact::activation::Activation;

    let act = Activation::parse("heaviside(x)", "rect(-0.5, 0.5)")?;
    let compiled = act.compile();
    let x = [-1.0, 0.0, 0.25];
    let (mut y, mut g) = ([0.0; 3], [0.0; 3]);
    compiled.joint.eval_many(&x, &mut [&mut y, &mut g]);
    assert_eq!(y, [0.0, 1.0, 1.0]);
    assert_eq!(g, [0.0, 1.0, 1.0]);
    let ron = ron::to_string(&act)?;
    assert!(ron.contains("heaviside(x)"), "{ron}");
    Ok(())
}
