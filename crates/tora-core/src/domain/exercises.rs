//! The exercise library: finding exercises by what people call them, and where their
//! videos are served from. The exercises themselves, their guides and the skill tree
//! are the catalog's (`catalog.rs`).
//!
//! A search text matches an exercise when it occurs in its name or one of its aliases,
//! ignoring case ("chin" finds Chin-up and, through "archer chins", Archer pull-up), or
//! when its [`name_key`] occurs in theirs, so spacing, hyphens and plurals do not
//! matter ("pull ups" finds "Pull-up"). Results are sorted by name.

use crate::domain::catalog::{Catalog, Category, Exercise, VideoKey, name_key};
use crate::domain::text::{SingleLine, TextError};

/// What a person typed into the library's search box: one line of 1 to 60
/// characters, trimmed, under the text rule; kept lowercased for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText {
    lowercase: String,
    key: String,
}

impl SearchText {
    pub const MAX_CHARS: usize = 60;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let text = SingleLine::<{ SearchText::MAX_CHARS }>::parse(raw)?;
        Ok(Self {
            lowercase: text.as_str().to_lowercase(),
            key: name_key(text.as_str()),
        })
    }

    fn matches(&self, name: &str) -> bool {
        name.to_lowercase().contains(&self.lowercase)
            || (!self.key.is_empty() && name_key(name).contains(&self.key))
    }
}

/// Which exercises a library listing shows: all of them, or those matching a search
/// text, of one category, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExerciseFilter {
    pub text: Option<SearchText>,
    /// Exercises outside the skill tree have no category and never match one.
    pub category: Option<Category>,
}

impl ExerciseFilter {
    pub fn matches(&self, exercise: &Exercise) -> bool {
        let category_matches = self
            .category
            .is_none_or(|category| exercise.category() == Some(category));
        let text_matches = self.text.as_ref().is_none_or(|text| {
            text.matches(exercise.name())
                || exercise.aliases().iter().any(|alias| text.matches(alias))
        });
        category_matches && text_matches
    }
}

/// The catalog's exercises that pass `filter`, sorted by name (ids break ties, so the
/// order never depends on the data file's).
pub fn search<'c>(catalog: &'c Catalog, filter: &ExerciseFilter) -> Vec<&'c Exercise> {
    let mut found: Vec<&Exercise> = catalog
        .exercises()
        .iter()
        .filter(|exercise| filter.matches(exercise))
        .collect();
    crate::sorting::sort_by(&mut found, |left, right| {
        left.name()
            .to_lowercase()
            .cmp(&right.name().to_lowercase())
            .then_with(|| left.id().cmp(right.id()))
    });
    found
}

/// The host of the CDN distribution that serves exercise videos (`videos.tora.app`):
/// a DNS name of letters, digits, hyphens and dots, lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdnDomain(String);

impl CdnDomain {
    pub fn parse(raw: &str) -> Option<Self> {
        let host = raw.trim().trim_end_matches('/').to_ascii_lowercase();
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        };
        // At least two labels: a bare word is more likely a typo than a CDN.
        let valid = host.len() <= 253 && host.contains('.') && host.split('.').all(valid_label);
        valid.then_some(Self(host))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The public URL of a stored video on this distribution.
    pub fn url(&self, key: &VideoKey) -> String {
        // A key is made of URL-safe characters only, so it needs no escaping.
        format!("https://{}/{}", self.0, key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    fn ids(filter: &ExerciseFilter) -> Vec<&'static str> {
        search(catalog(), filter)
            .iter()
            .map(|exercise| exercise.id())
            .collect()
    }

    fn text(raw: &str) -> ExerciseFilter {
        ExerciseFilter {
            text: Some(SearchText::parse(raw).unwrap()),
            category: None,
        }
    }

    #[test]
    fn everything_is_listed_by_name_without_a_filter() {
        let all = search(catalog(), &ExerciseFilter::default());
        assert_eq!(all.len(), catalog().exercises().len());
        let names: Vec<String> = all.iter().map(|e| e.name().to_lowercase()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(all[0].id(), "ab_wheel_rollout");
    }

    #[test]
    fn text_matches_names_and_aliases_ignoring_case_and_spacing() {
        assert_eq!(ids(&text("chin")), ["archer_pull_up", "chin_up"]);
        assert_eq!(ids(&text("  CHIN-UP ")), ["chin_up"]);
        assert_eq!(ids(&text("c2b")), ["chest_to_bar_pull_up"]);
        assert!(ids(&text("pull ups")).contains(&"pull_up"));
        assert!(ids(&text("Pullups")).contains(&"pull_up"));
        assert_eq!(ids(&text("aussie")), ["inverted_row"]);
        assert!(ids(&text("nothing like this")).is_empty());
    }

    #[test]
    fn a_category_keeps_its_skills_only() {
        let legs = ExerciseFilter {
            text: None,
            category: Some(Category::Legs),
        };
        let found = search(catalog(), &legs);
        assert_eq!(found.len(), 10);
        assert!(found.iter().all(|e| e.category() == Some(Category::Legs)));
        // Lunges are leg work but outside the tree, so they have no category.
        assert!(!ids(&legs).contains(&"lunge"));
        let pull_and_text = ExerciseFilter {
            text: Some(SearchText::parse("push").unwrap()),
            category: Some(Category::Pull),
        };
        assert!(ids(&pull_and_text).is_empty());
    }

    #[test]
    fn search_text_follows_the_text_rule() {
        assert_eq!(SearchText::parse("   "), Err(TextError::Blank));
        assert_eq!(
            SearchText::parse(&"a".repeat(61)),
            Err(TextError::TooLong { max: 60 })
        );
        assert!(SearchText::parse(&"a".repeat(60)).is_ok());
        assert_eq!(SearchText::parse("a\nb"), Err(TextError::LineBreak));
    }

    #[test]
    fn a_cdn_domain_is_a_host_and_makes_https_urls() {
        let domain = CdnDomain::parse(" Videos.Tora.app/ ").unwrap();
        assert_eq!(domain.as_str(), "videos.tora.app");
        let key = VideoKey::parse("exercises/pull_up.mp4").unwrap();
        assert_eq!(
            domain.url(&key),
            "https://videos.tora.app/exercises/pull_up.mp4"
        );
        for bad in [
            "https://videos.tora.app",
            "videos",
            "videos..app",
            "-a.app",
            "a b.app",
            "videos.tora.app/path",
            "",
        ] {
            assert_eq!(CdnDomain::parse(bad), None, "{bad}");
        }
    }
}
