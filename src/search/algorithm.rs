//! The selection algorithms: regularized evolution, NSGA-II, random search and exhaustive
//! enumeration, behind one ask/tell interface whose whole state is serialisable (it goes into the
//! run checkpoint).
//!
//! The engine asks for a batch of proposals, evaluates them, and tells the algorithm the members
//! that came out (trained candidates and duplicates of trained ones, with their scores), in
//! proposal order. Everything random draws from the engine's generator, so a run is a function of
//! its seed.

use super::enumerate::Enumeration;
use super::genome::grow;
use super::mutate::{vary, Variation};
use super::pareto::{crowding, fronts};
use super::space::FieldError;
use super::space::{AlgorithmConfig, SearchSpace};
use crate::activation::Activation;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A trained candidate as the algorithm sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Id in the run.
    pub id: u64,
    /// The rung of a multi-fidelity ladder its scores come from (0 without one); a higher
    /// rung ranks first in tournaments, whatever the scores.
    #[serde(default)]
    pub rung: u32,
    /// The candidate.
    pub genome: Activation,
    /// Objective scores, larger is better, main objective first.
    pub scores: Vec<f64>,
}

/// A proposed candidate and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    /// The candidate.
    pub genome: Activation,
    /// Parent ids and operator, for children; `None` for random or enumerated candidates.
    pub parents: Option<(Vec<u64>, Variation)>,
}

/// The state of a selection algorithm.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Aging evolution: tournament selection, the oldest member dies.
    RegularizedEvolution {
        /// Members alive, oldest first.
        population: VecDeque<Member>,
        /// Population size.
        size: usize,
        /// Tournament size.
        tournament: usize,
    },
    /// NSGA-II: generations of `size` children; parents and children compete by Pareto rank and
    /// crowding.
    Nsga2 {
        /// The current parents.
        parents: Vec<Member>,
        /// Children of the current generation evaluated so far.
        children: Vec<Member>,
        /// Population size.
        size: usize,
    },
    /// Independent random candidates.
    Random,
    /// Exhaustive enumeration.
    Exhaustive {
        /// Position in the enumeration.
        enumeration: Box<Enumeration>,
    },
}

impl Algorithm {
    /// The initial state for a space.
    pub fn new(space: &SearchSpace) -> Algorithm {
        match space.algorithm {
            AlgorithmConfig::RegularizedEvolution {
                population,
                tournament,
            } => Algorithm::RegularizedEvolution {
                population: VecDeque::new(),
                size: population,
                tournament,
            },
            AlgorithmConfig::Nsga2 { population } => Algorithm::Nsga2 {
                parents: Vec::new(),
                children: Vec::new(),
                size: population,
            },
            AlgorithmConfig::Random => Algorithm::Random,
            AlgorithmConfig::Exhaustive { max_ops } => Algorithm::Exhaustive {
                enumeration: Box::new(Enumeration::new(space, max_ops)),
            },
        }
    }

    /// Up to `n` new proposals (fewer only when an enumeration is exhausted).
    pub fn propose(
        &mut self,
        space: &SearchSpace,
        rng: &mut ChaCha8Rng,
        n: usize,
    ) -> Vec<Proposal> {
        let random = |rng: &mut ChaCha8Rng| Proposal {
            genome: grow(space, rng),
            parents: None,
        };
        match self {
            Algorithm::RegularizedEvolution {
                population,
                size,
                tournament,
            } => (0..n)
                .map(|i| {
                    // Fill the population with random candidates first.
                    if population.len() + i < *size || population.is_empty() {
                        return random(rng);
                    }
                    let members = population.make_contiguous();
                    let a = tournament_winner(members, *tournament, rng);
                    let b = tournament_winner(members, *tournament, rng);
                    child(&members[a], Some(&members[b]), space, rng)
                })
                .collect(),
            Algorithm::Nsga2 { parents, size, .. } => {
                let ranks = rank_and_crowding(parents);
                (0..n)
                    .map(|i| {
                        if parents.len() + i < *size || parents.is_empty() {
                            return random(rng);
                        }
                        let a = binary_tournament(&ranks, rng);
                        let b = binary_tournament(&ranks, rng);
                        child(&parents[a], Some(&parents[b]), space, rng)
                    })
                    .collect()
            }
            Algorithm::Random => (0..n).map(|_| random(rng)).collect(),
            Algorithm::Exhaustive { enumeration } => (0..n)
                .map_while(|_| enumeration.next(space))
                .map(|genome| Proposal {
                    genome,
                    parents: None,
                })
                .collect(),
        }
    }

    /// Takes the members that came out of a batch, in proposal order.
    pub fn tell(&mut self, members: Vec<Member>) {
        // A promoted candidate's result at a higher rung replaces its member's scores where
        // it is still alive; it is not a new member.
        let (promoted, members): (Vec<Member>, Vec<Member>) =
            members.into_iter().partition(|m| m.rung > 0);
        for p in promoted {
            if let Some(m) = self.members_mut().find(|m| m.id == p.id && m.rung < p.rung) {
                m.rung = p.rung;
                m.scores = p.scores;
            }
        }
        match self {
            Algorithm::RegularizedEvolution {
                population, size, ..
            } => {
                for m in members {
                    population.push_back(m);
                    while population.len() > *size {
                        population.pop_front();
                    }
                }
            }
            Algorithm::Nsga2 {
                parents,
                children,
                size,
            } => {
                for m in members {
                    if parents.len() < *size {
                        parents.push(m);
                    } else {
                        children.push(m);
                    }
                    if children.len() >= *size {
                        let mut all = std::mem::take(parents);
                        all.append(children);
                        *parents = environmental_selection(all, *size);
                    }
                }
            }
            Algorithm::Random | Algorithm::Exhaustive { .. } => {}
        }
    }

    /// Checks a state read from a checkpoint against the run's space: the same algorithm with
    /// the same settings, and members with one score per objective. On error, the field to
    /// point at and what is wrong.
    pub fn check(&self, space: &SearchSpace) -> Result<(), FieldError> {
        let objectives = space.objectives.len();
        let check_members = |members: &mut dyn Iterator<Item = &Member>| {
            for m in members {
                if m.scores.len() != objectives || m.scores.iter().any(|s| s.is_nan()) {
                    return Err(FieldError::new(
                        "scores",
                        format!(
                            "member {} has {} scores ({:?}); the space has {objectives} objectives and scores must not be NaN",
                            m.id,
                            m.scores.len(),
                            m.scores
                        ),
                    ));
                }
            }
            Ok(())
        };
        let differs = |field: &'static str, here: usize, config: usize| {
            Err(FieldError::new(
                field,
                format!(
                    "the checkpoint's {field} is {here} but the run's configuration says {config}"
                ),
            ))
        };
        match (self, &space.algorithm) {
            (
                Algorithm::RegularizedEvolution {
                    population,
                    size,
                    tournament,
                },
                AlgorithmConfig::RegularizedEvolution {
                    population: want_size,
                    tournament: want_tournament,
                },
            ) => {
                if size != want_size {
                    return differs("size", *size, *want_size);
                }
                if tournament != want_tournament {
                    return differs("tournament", *tournament, *want_tournament);
                }
                if population.len() > *size {
                    return Err(FieldError::new(
                        "population",
                        format!(
                            "{} members alive in a population of size {size}",
                            population.len()
                        ),
                    ));
                }
                check_members(&mut population.iter())
            }
            (
                Algorithm::Nsga2 {
                    parents,
                    children,
                    size,
                },
                AlgorithmConfig::Nsga2 {
                    population: want_size,
                },
            ) => {
                if size != want_size {
                    return differs("size", *size, *want_size);
                }
                if parents.len() > *size || children.len() >= *size {
                    return Err(FieldError::new(
                        "parents",
                        format!(
                            "{} parents and {} children in a population of size {size}",
                            parents.len(),
                            children.len()
                        ),
                    ));
                }
                check_members(&mut parents.iter().chain(children.iter()))
            }
            (Algorithm::Random, AlgorithmConfig::Random) => Ok(()),
            (Algorithm::Exhaustive { enumeration }, AlgorithmConfig::Exhaustive { max_ops }) => {
                let want = (*max_ops).min(space.limits.max_ops);
                if enumeration.max_ops() != want {
                    return differs("max_ops", enumeration.max_ops(), want);
                }
                Ok(())
            }
            (state, config) => Err(FieldError::new(
                "algorithm",
                format!(
                    "the checkpoint holds the state of {} but the run's configuration asks for {config:?}",
                    state.name()
                ),
            )),
        }
    }

    /// The algorithm's name as space files write it.
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::RegularizedEvolution { .. } => "regularized_evolution",
            Algorithm::Nsga2 { .. } => "nsga2",
            Algorithm::Random => "random",
            Algorithm::Exhaustive { .. } => "exhaustive",
        }
    }

    /// Every member the algorithm holds (population, or parents and children), to update.
    fn members_mut(&mut self) -> Box<dyn Iterator<Item = &mut Member> + '_> {
        match self {
            Algorithm::RegularizedEvolution { population, .. } => Box::new(population.iter_mut()),
            Algorithm::Nsga2 {
                parents, children, ..
            } => Box::new(parents.iter_mut().chain(children.iter_mut())),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// The members currently alive (population or parents), for display.
    pub fn members(&self) -> Vec<&Member> {
        match self {
            Algorithm::RegularizedEvolution { population, .. } => population.iter().collect(),
            Algorithm::Nsga2 { parents, .. } => parents.iter().collect(),
            _ => Vec::new(),
        }
    }
}

fn child(a: &Member, b: Option<&Member>, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Proposal {
    let (genome, variation) = vary(&a.genome, b.map(|m| &m.genome), space, rng);
    let parents = match (variation, b) {
        (Variation::Crossover, Some(b)) => vec![a.id, b.id],
        _ => vec![a.id],
    };
    Proposal {
        genome,
        parents: Some((parents, variation)),
    }
}

/// A member's rung and main score, compared in that order; a member without scores (only in a
/// hand-edited checkpoint) ranks last at its rung.
fn main_score(m: &Member) -> (u32, f64) {
    (
        m.rung,
        m.scores.first().copied().unwrap_or(f64::NEG_INFINITY),
    )
}

/// A member as a point for Pareto sorting: its rung (a higher rung is better) and its scores.
fn ranking_point(m: &Member) -> Vec<f64> {
    std::iter::once(f64::from(m.rung))
        .chain(m.scores.iter().copied())
        .collect()
}

/// Index of the best of `k` members drawn without replacement, by main score (ties: the
/// younger, which is later in the population). `members` is not empty; `k` is at least 1 in a
/// validated state, and a checkpoint's 0 counts as 1.
fn tournament_winner(members: &[Member], k: usize, rng: &mut ChaCha8Rng) -> usize {
    let picks = rand::seq::index::sample(rng, members.len(), k.clamp(1, members.len()));
    picks
        .into_iter()
        .max_by(|&a, &b| {
            let ((ra, sa), (rb, sb)) = (main_score(&members[a]), main_score(&members[b]));
            ra.cmp(&rb).then(sa.total_cmp(&sb)).then(a.cmp(&b))
        })
        .unwrap_or(0)
}

/// (front index, crowding distance) of each member.
fn rank_and_crowding(members: &[Member]) -> Vec<(usize, f64)> {
    let points: Vec<Vec<f64>> = members.iter().map(ranking_point).collect();
    let mut out = vec![(0, 0.0); members.len()];
    for (rank, front) in fronts(&points).iter().enumerate() {
        for (&i, d) in front.iter().zip(crowding(&points, front)) {
            out[i] = (rank, d);
        }
    }
    out
}

/// NSGA-II's crowded binary tournament: lower front wins, then larger crowding distance.
fn binary_tournament(ranks: &[(usize, f64)], rng: &mut ChaCha8Rng) -> usize {
    let a = rng.gen_range(0..ranks.len());
    let b = rng.gen_range(0..ranks.len());
    let better = |x: usize, y: usize| {
        ranks[x].0 < ranks[y].0 || (ranks[x].0 == ranks[y].0 && ranks[x].1 > ranks[y].1)
    };
    if better(b, a) {
        b
    } else {
        a
    }
}

/// Keeps the best `size` members by front, filling the last front by crowding distance.
fn environmental_selection(all: Vec<Member>, size: usize) -> Vec<Member> {
    let points: Vec<Vec<f64>> = all.iter().map(ranking_point).collect();
    let mut keep: Vec<usize> = Vec::with_capacity(size);
    for front in fronts(&points) {
        if keep.len() + front.len() <= size {
            keep.extend(&front);
        } else {
            let d = crowding(&points, &front);
            let mut order: Vec<usize> = (0..front.len()).collect();
            order.sort_by(|&a, &b| d[b].total_cmp(&d[a]).then(front[a].cmp(&front[b])));
            keep.extend(order.into_iter().take(size - keep.len()).map(|k| front[k]));
        }
        if keep.len() >= size {
            break;
        }
    }
    keep.sort_unstable();
    let mut all: Vec<Option<Member>> = all.into_iter().map(Some).collect();
    keep.into_iter()
        .map(|i| all[i].take().expect("each index kept once"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn member(id: u64, scores: Vec<f64>) -> Member {
        Member {
            rung: 0,
            id,
            genome: Activation::parse("relu(x)", "exact").unwrap(),
            scores,
        }
    }

    #[test]
    fn aging_evolution_drops_the_oldest() {
        let mut a = Algorithm::RegularizedEvolution {
            population: VecDeque::new(),
            size: 3,
            tournament: 2,
        };
        a.tell((0..5).map(|i| member(i, vec![i as f64])).collect());
        let ids: Vec<u64> = a.members().iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![2, 3, 4]);
    }

    #[test]
    fn tournament_picks_the_best_of_the_sample() {
        let members: Vec<Member> = (0..10).map(|i| member(i, vec![i as f64])).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // With k = all members the best always wins.
        assert_eq!(tournament_winner(&members, 10, &mut rng), 9);
        let wins: usize = (0..200)
            .filter(|_| tournament_winner(&members, 3, &mut rng) >= 5)
            .count();
        assert!(wins > 150, "{wins}");
    }

    #[test]
    fn nsga2_keeps_the_first_fronts() {
        let all = vec![
            member(0, vec![1.0, 1.0]),
            member(1, vec![0.0, 0.0]),
            member(2, vec![2.0, 0.0]),
            member(3, vec![0.0, 2.0]),
            member(4, vec![0.5, 0.5]),
        ];
        let kept: Vec<u64> = environmental_selection(all, 3)
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(kept, vec![0, 2, 3]);
    }

    #[test]
    fn hand_edited_checkpoint_states_propose_without_panicking_and_fail_validation() {
        // A checkpoint edited to a tournament of 0, and members without scores: both once hit
        // an `expect` and an index out of range.
        let space = SearchSpace::default_space();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let population: VecDeque<Member> = (0..4).map(|i| member(i, Vec::new())).collect();
        let mut a = Algorithm::RegularizedEvolution {
            population,
            size: 2,
            tournament: 0,
        };
        assert_eq!(a.propose(&space, &mut rng, 3).len(), 3);
        let e = a.check(&space).unwrap_err().message;
        assert!(e.contains("configuration says"), "{e}");
        let mut a = Algorithm::Nsga2 {
            parents: vec![
                member(0, vec![1.0]),
                member(1, Vec::new()),
                member(2, vec![0.5, 2.0]),
            ],
            children: Vec::new(),
            size: 3,
        };
        assert_eq!(a.propose(&space, &mut rng, 3).len(), 3);
        assert!(a.check(&space).unwrap_err().message.contains("nsga2"));
    }

    #[test]
    fn check_accepts_a_new_state_and_names_what_is_wrong() {
        let space = SearchSpace::default_space();
        let AlgorithmConfig::RegularizedEvolution {
            population,
            tournament,
        } = space.algorithm
        else {
            panic!("the default space uses regularized evolution")
        };
        assert_eq!(Algorithm::new(&space).check(&space), Ok(()));
        let objectives = space.objectives.len();
        let a = Algorithm::RegularizedEvolution {
            population: (0..2)
                .map(|i| member(i, vec![0.5; objectives + 1]))
                .collect(),
            size: population,
            tournament,
        };
        let e = a.check(&space).unwrap_err().message;
        assert!(e.contains("member 0 has"), "{e}");
        let a = Algorithm::RegularizedEvolution {
            population: (0..population as u64 + 1)
                .map(|i| member(i, vec![0.5; objectives]))
                .collect(),
            size: population,
            tournament,
        };
        assert!(a
            .check(&space)
            .unwrap_err()
            .message
            .contains("members alive"));
    }

    #[test]
    fn a_promotion_updates_a_living_member_and_outranks_lower_rungs() {
        let mut alg = Algorithm::RegularizedEvolution {
            population: VecDeque::new(),
            size: 3,
            tournament: 3,
        };
        alg.tell(vec![member(0, vec![0.9, -1.0]), member(1, vec![0.5, -1.0])]);
        let mut promoted = member(1, vec![0.4, -1.0]);
        promoted.rung = 1;
        alg.tell(vec![promoted]);
        let alive: Vec<(u64, u32)> = alg.members().iter().map(|m| (m.id, m.rung)).collect();
        assert_eq!(alive, vec![(0, 0), (1, 1)], "updated in place, not added");
        // With the whole population in the tournament, the rung-1 member always wins.
        let Algorithm::RegularizedEvolution { population, .. } = &mut alg else {
            unreachable!()
        };
        let members = population.make_contiguous();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..10 {
            assert_eq!(members[tournament_winner(members, 3, &mut rng)].id, 1);
        }
        // A promotion of a member that died changes nothing.
        let mut gone = member(7, vec![1.0, 0.0]);
        gone.rung = 2;
        alg.tell(vec![gone]);
        assert_eq!(alg.members().len(), 2);
    }
}
