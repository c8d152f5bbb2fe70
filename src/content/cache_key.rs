//! Cache keys (`serve` reuses work whose key is unchanged) built from values through
//! their `Hash` or `Serialize` implementations, never from `Debug` text, which is
//! neither stable nor complete.

use std::hash::{Hash, Hasher};

/// A blake3 digest fed by `Hash` and serde.
#[derive(Default)]
pub struct CacheKey(blake3::Hasher);

impl CacheKey {
    pub fn new() -> CacheKey {
        CacheKey::default()
    }

    /// Adds a value through its `Hash` implementation.
    pub fn hash<T: Hash + ?Sized>(&mut self, v: &T) -> &mut Self {
        v.hash(&mut Feed(&mut self.0));
        self
    }

    /// Adds a value through its serde form (for types with maps of JSON values,
    /// which have no `Hash`).
    pub fn serde<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> &mut Self {
        // Serialising into the hasher cannot fail for these types; a failure would
        // only make the key miss, never match wrongly, as its error is added.
        if let Err(e) = serde_json::to_writer(&mut self.0, v) {
            self.0.update(e.to_string().as_bytes());
        }
        self
    }

    pub fn finish(&self) -> blake3::Hash {
        self.0.finalize()
    }
}

/// `std::hash::Hasher` over blake3 (`finish` is unused: the digest is read above).
struct Feed<'a>(&'a mut blake3::Hasher);

impl Hasher for Feed<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_give_equal_keys_and_different_values_differ() {
        let key = |a: &str, n: u32| CacheKey::new().hash(a).hash(&n).finish();
        assert_eq!(key("a", 1), key("a", 1));
        assert_ne!(key("a", 1), key("a", 2));
        // Hash writes a length/terminator, so ("ab", "") and ("a", "b") differ.
        let two = |a: &str, b: &str| CacheKey::new().hash(a).hash(b).finish();
        assert_ne!(two("ab", ""), two("a", "b"));
        let j = |v: serde_json::Value| CacheKey::new().serde(&v).finish();
        assert_ne!(
            j(serde_json::json!({"x": 1})),
            j(serde_json::json!({"x": 2}))
        );
    }
}
