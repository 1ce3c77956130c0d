//! Which jobs run, asked of the api before an update stops the worker.

use std::time::Duration;

use serde::Deserialize;

use super::types::UpdateError;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobPage {
    items: Vec<JobItem>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct JobItem {
    status: String,
}

/// A job the worker holds: stopping the worker ends it `interrupted`.
fn is_active(status: &str) -> bool {
    status == "running"
}

/// How many jobs run now, walking every page of `GET /jobs`.
pub async fn running(base_url: &str, token: &str) -> Result<u32, UpdateError> {
    let unknown = |message: String| UpdateError::JobsUnknown { message };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .map_err(|e| unknown(e.to_string()))?;
    let mut cursor: Option<String> = None;
    let mut count = 0u32;
    loop {
        let mut url =
            url::Url::parse(&format!("{base_url}/jobs")).map_err(|e| unknown(e.to_string()))?;
        url.query_pairs_mut().append_pair("limit", "200");
        if let Some(cursor) = &cursor {
            url.query_pairs_mut().append_pair("cursor", cursor);
        }
        let page: JobPage = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| unknown(e.to_string()))?
            .json()
            .await
            .map_err(|e| unknown(e.to_string()))?;
        let active = page
            .items
            .iter()
            .filter(|job| is_active(&job.status))
            .count();
        count = count.saturating_add(u32::try_from(active).unwrap_or(u32::MAX));
        match page.next_cursor {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => return Ok(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_running_jobs_are_held_by_the_worker() {
        assert!(is_active("running"));
        for status in ["queued", "succeeded", "failed", "cancelled", "interrupted"] {
            assert!(!is_active(status), "{status}");
        }
    }
}
