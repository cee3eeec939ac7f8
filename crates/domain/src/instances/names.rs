//! Instance names: DNS labels (they become the guest's hostname and
//! `<name>.<dns domain>`), generated as `adjective-animal-NN` when not given.

use rand::Rng;
use rand::seq::IndexedRandom;

/// RFC 1123 label limit.
pub const MAX_NAME_LEN: usize = 63;

const ADJECTIVES: &[&str] = &[
    "agile", "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring",
    "eager", "fancy", "fast", "gentle", "golden", "happy", "humble", "jolly", "keen", "lively",
    "lucky", "mellow", "merry", "mighty", "nimble", "noble", "plucky", "proud", "quick", "quiet",
    "rapid", "shiny", "silent", "smooth", "snowy", "steady", "sunny", "swift", "tidy", "vivid",
    "warm", "wise", "witty", "zesty",
];

const ANIMALS: &[&str] = &[
    "badger", "beaver", "bison", "cougar", "crane", "dingo", "dolphin", "eagle", "falcon",
    "ferret", "gecko", "heron", "ibex", "jaguar", "koala", "lemur", "lynx", "marmot", "moose",
    "narwhal", "ocelot", "otter", "panda", "puffin", "quokka", "raven", "salmon", "seal",
    "sparrow", "tapir", "tiger", "turtle", "walrus", "wombat", "yak", "zebra",
];

/// `None` when `name` is a valid DNS label (RFC 1123: letters, digits and hyphens, 1–63
/// characters, not starting or ending with a hyphen); otherwise what is wrong.
pub fn dns_label_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Some(format!("must be 1 to {MAX_NAME_LEN} characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Some("may contain only letters, digits and '-' (it becomes the DNS name)".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must not start or end with '-'".into());
    }
    None
}

/// `adjective-animal-NN`, avoiding names for which `taken` says yes. After a few
/// collisions it widens the number so a crowded namespace still gets a fresh name.
pub fn generate_name(rng: &mut impl Rng, taken: impl Fn(&str) -> bool) -> String {
    for attempt in 0..32 {
        let adjective = ADJECTIVES.choose(rng).expect("non-empty list");
        let animal = ANIMALS.choose(rng).expect("non-empty list");
        let number: u32 = if attempt < 16 {
            rng.random_range(10..100)
        } else {
            rng.random_range(100..10_000)
        };
        let name = format!("{adjective}-{animal}-{number}");
        if !taken(&name) {
            return name;
        }
    }
    format!("instance-{}", rng.random_range(100_000..1_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_are_checked_like_hostnames() {
        for good in ["web", "web-1", "a", "Web01", &"x".repeat(63)] {
            assert_eq!(dns_label_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "-web",
            "web-",
            "web_1",
            "web.example",
            "wéb",
            "has space",
            &"x".repeat(64),
        ] {
            assert!(dns_label_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn generated_names_are_valid_labels_and_avoid_taken_ones() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let name = generate_name(&mut rng, |_| false);
            assert_eq!(dns_label_problem(&name), None, "{name}");
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert!(ADJECTIVES.contains(&parts[0]) && ANIMALS.contains(&parts[1]));
            assert!((10..100).contains(&parts[2].parse::<u32>().unwrap()));
        }
        let first = generate_name(&mut rng, |_| false);
        let other = generate_name(&mut rng, |name| name == first);
        assert_ne!(first, other);
        let fallback = generate_name(&mut rng, |name| !name.starts_with("instance-"));
        assert!(fallback.starts_with("instance-"));
    }
}
