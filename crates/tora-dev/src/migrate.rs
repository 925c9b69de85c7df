//! Migration runner. (Being written.)
use std::path::Path;

pub async fn run(_database_url: &str, _dir: &Path) -> anyhow::Result<Vec<String>> {
    anyhow::bail!("not written yet")
}
