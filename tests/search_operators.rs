//! The genetic operators as the search engine uses them: over random seeds and every shipped
//! space, grown genomes and children of `vary` are valid (simplified, within the limits, built
//! from allowed primitives with an allowed backward mode) and children differ from their parents;
//! a checkpointed random generator resumes the same sequence of children.

use proptest::prelude::*;
use radact::activation::Activation;
use radact::expr::{simplify, Op};
use radact::search::space::SHIPPED_SPACES;
use radact::search::{genome, mutate, SearchSpace};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn spaces() -> Vec<SearchSpace> {
    SHIPPED_SPACES
        .iter()
        .map(|(name, _)| SearchSpace::shipped(name).unwrap())
        .collect()
}

/// Panics with the reason when `act` is not a valid genome of `space`.
fn assert_valid(act: &Activation, space: &SearchSpace) {
    let allowed: Vec<Op> = space.weighted_primitives().iter().map(|p| p.0).collect();
    let f = &act.forward;
    assert!(
        genome::viable(f, &space.limits),
        "{}: {f} is not viable",
        space.name
    );
    assert!(
        f.same_expression(&simplify(f)),
        "{}: {f} is not simplified",
        space.name
    );
    assert!(
        f.ops().iter().all(|op| allowed.contains(op)),
        "{}: {f} uses a primitive outside the space",
        space.name
    );
    assert!(
        space.backward.modes.contains(&act.backward),
        "{}: mode {} is not allowed",
        space.name,
        act.backward
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn grown_genomes_and_their_children_are_valid(seed in any::<u64>()) {
        for space in spaces() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut parent = genome::grow(&space, &mut rng);
            let other = genome::grow(&space, &mut rng);
            assert_valid(&parent, &space);
            assert_valid(&other, &space);
            for _ in 0..8 {
                let (child, how) = mutate::vary(&parent, Some(&other), &space, &mut rng);
                assert_valid(&child, &space);
                prop_assert!(child != parent, "{}: {how} repeated {}", space.name, parent.forward);
                parent = child;
            }
        }
    }
}

#[test]
fn a_checkpointed_generator_resumes_the_same_children() {
    let space = SearchSpace::default_space();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let parent = genome::grow(&space, &mut rng);
    let other = genome::grow(&space, &mut rng);
    let children = |rng: &mut ChaCha8Rng| -> Vec<String> {
        (0..20)
            .map(|_| {
                let (c, how) = mutate::vary(&parent, Some(&other), &space, rng);
                format!("{how}: {} | {}", c.forward, c.backward)
            })
            .collect()
    };
    let saved = serde_json::to_string(&rng).unwrap();
    let first = children(&mut rng);
    let mut restored: ChaCha8Rng = serde_json::from_str(&saved).unwrap();
    assert_eq!(children(&mut restored), first);
}
