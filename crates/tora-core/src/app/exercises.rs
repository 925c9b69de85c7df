//! The exercise library: the catalog is compiled in, so nothing here touches
//! storage. A video's URL is the one thing that depends on the deployment: the CDN
//! distribution's when one is configured, otherwise a short-lived presigned link from
//! media storage (the `MediaUrls` port), otherwise none.

use crate::domain::catalog::{Catalog, Exercise, Skill, VideoKey};
use crate::domain::exercises::{CdnDomain, ExerciseFilter, search};
use crate::ports::MediaUrls;

/// Where exercise videos are linked from.
pub struct VideoLinks<'a, M: MediaUrls> {
    pub cdn: Option<&'a CdnDomain>,
    pub storage: &'a M,
}

impl<M: MediaUrls> VideoLinks<'_, M> {
    /// The CDN's public URL when there is a distribution (cacheable, never expires);
    /// otherwise whatever storage can presign, which may be nothing.
    pub fn url(&self, key: &VideoKey) -> Option<String> {
        match self.cdn {
            Some(domain) => Some(domain.url(key)),
            None => self.storage.presigned_get(key.as_str()),
        }
    }
}

/// Media storage a deployment may not have: without it, no presigned links.
impl<M: MediaUrls> MediaUrls for Option<M> {
    fn presigned_get(&self, key: &str) -> Option<String> {
        self.as_ref()?.presigned_get(key)
    }
}

/// One exercise as the library shows it.
#[derive(Debug)]
pub struct LibraryEntry<'c> {
    pub exercise: &'c Exercise,
    /// The skill of the tree it is, when it is one.
    pub skill: Option<&'c Skill>,
    /// Its direct prerequisites (empty outside the tree).
    pub easier: Vec<&'c Skill>,
    /// The skills that require it directly (empty outside the tree).
    pub harder: Vec<&'c Skill>,
    pub video_url: Option<String>,
}

/// A page of the library: up to `limit` matches, and how many there are in all.
#[derive(Debug)]
pub struct LibraryPage<'c> {
    pub items: Vec<LibraryEntry<'c>>,
    pub total: usize,
}

fn entry<'c, M: MediaUrls>(
    catalog: &'c Catalog,
    exercise: &'c Exercise,
    videos: &VideoLinks<'_, M>,
) -> LibraryEntry<'c> {
    let skill = catalog.skill(exercise.id());
    LibraryEntry {
        exercise,
        skill,
        easier: skill.map(|skill| catalog.easier(skill)).unwrap_or_default(),
        harder: skill.map(|skill| catalog.harder(skill)).unwrap_or_default(),
        video_url: videos.url(exercise.guide().video_key()),
    }
}

/// The exercises matching `filter`, sorted by name, at most `limit` of them.
pub fn list<'c, M: MediaUrls>(
    catalog: &'c Catalog,
    filter: &ExerciseFilter,
    limit: usize,
    videos: &VideoLinks<'_, M>,
) -> LibraryPage<'c> {
    let found = search(catalog, filter);
    LibraryPage {
        total: found.len(),
        items: found
            .into_iter()
            .take(limit)
            .map(|exercise| entry(catalog, exercise, videos))
            .collect(),
    }
}

/// One exercise by its catalog id, or `None` for an id the catalog does not know.
pub fn get<'c, M: MediaUrls>(
    catalog: &'c Catalog,
    id: &str,
    videos: &VideoLinks<'_, M>,
) -> Option<LibraryEntry<'c>> {
    catalog
        .exercise(id)
        .map(|exercise| entry(catalog, exercise, videos))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deployment without media storage.
    const NO_STORAGE: Option<FakePresigner> = None;
    use crate::domain::exercises::SearchText;

    /// Presigns by naming the key, so a test can see which link was used.
    struct FakePresigner;

    impl MediaUrls for FakePresigner {
        fn presigned_get(&self, key: &str) -> Option<String> {
            Some(format!("https://bucket.example/{key}?X-Amz-Expires=300"))
        }
    }

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    #[test]
    fn a_cdn_domain_wins_over_presigning() {
        let domain = CdnDomain::parse("videos.tora.app").unwrap();
        let videos = VideoLinks {
            cdn: Some(&domain),
            storage: &FakePresigner,
        };
        let pull_up = get(catalog(), "pull_up", &videos).unwrap();
        assert_eq!(
            pull_up.video_url.as_deref(),
            Some("https://videos.tora.app/exercises/pull_up.mp4")
        );
    }

    #[test]
    fn without_a_cdn_the_link_is_presigned_and_without_storage_there_is_none() {
        let presigned = VideoLinks {
            cdn: None,
            storage: &FakePresigner,
        };
        assert_eq!(
            get(catalog(), "dip", &presigned)
                .unwrap()
                .video_url
                .as_deref(),
            Some("https://bucket.example/exercises/dip.mp4?X-Amz-Expires=300")
        );
        let none = VideoLinks {
            cdn: None,
            storage: &NO_STORAGE,
        };
        assert_eq!(get(catalog(), "dip", &none).unwrap().video_url, None);
    }

    #[test]
    fn an_entry_links_its_skill_and_neighbours_and_an_unknown_id_is_none() {
        let videos = VideoLinks {
            cdn: None,
            storage: &NO_STORAGE,
        };
        let muscle_up = get(catalog(), "muscle_up", &videos).unwrap();
        assert_eq!(muscle_up.skill.map(Skill::id), Some("muscle_up"));
        let easier: Vec<&str> = muscle_up.easier.iter().map(|s| s.id()).collect();
        assert_eq!(easier, ["chest_to_bar_pull_up", "dip"]);
        let harder: Vec<&str> = muscle_up.harder.iter().map(|s| s.id()).collect();
        assert_eq!(harder, ["ring_muscle_up"]);
        let burpee = get(catalog(), "burpee", &videos).unwrap();
        assert!(burpee.skill.is_none() && burpee.easier.is_empty() && burpee.harder.is_empty());
        assert!(get(catalog(), "no_such_thing", &videos).is_none());
    }

    #[test]
    fn a_list_is_cut_at_the_limit_and_counts_every_match() {
        let videos = VideoLinks {
            cdn: None,
            storage: &NO_STORAGE,
        };
        let page = list(catalog(), &ExerciseFilter::default(), 5, &videos);
        assert_eq!(page.items.len(), 5);
        assert_eq!(page.total, catalog().exercises().len());
        let filter = ExerciseFilter {
            text: Some(SearchText::parse("chin").unwrap()),
            category: None,
        };
        let page = list(catalog(), &filter, 50, &videos);
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].exercise.id(), "archer_pull_up");
    }
}
