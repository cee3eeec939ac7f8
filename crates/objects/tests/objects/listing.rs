use proxicloud_objects::ListQuery;

use crate::support::Lab;

fn query(prefix: &str, delimiter: Option<&str>, after: Option<&str>, max_keys: u32) -> ListQuery {
    ListQuery {
        prefix: prefix.into(),
        delimiter: delimiter.map(Into::into),
        after: after.map(Into::into),
        max_keys,
    }
}

#[tokio::test]
async fn delimiters_roll_keys_into_common_prefixes_and_pages_resume() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("tree").await;
    let keys = [
        "a.txt",
        "docs/1",
        "docs/2",
        "docs/sub/3",
        "music/x",
        "music/y",
        "z.txt",
    ];
    for key in keys {
        lab.put(&bucket, key, key.as_bytes()).await;
    }
    let page = lab
        .objects
        .list_objects(&bucket, &query("", Some("/"), None, 1000))
        .await
        .unwrap();
    let names: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(names, ["a.txt", "z.txt"]);
    assert_eq!(page.common_prefixes, ["docs/", "music/"]);
    assert!(!page.truncated);

    let page = lab
        .objects
        .list_objects(&bucket, &query("docs/", Some("/"), None, 1000))
        .await
        .unwrap();
    let names: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(names, ["docs/1", "docs/2"]);
    assert_eq!(page.common_prefixes, ["docs/sub/"]);

    // Two entries a page: every entry exactly once, in order.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = lab
            .objects
            .list_objects(&bucket, &query("", Some("/"), after.as_deref(), 2))
            .await
            .unwrap();
        seen.extend(page.objects.iter().map(|o| o.key.clone()));
        seen.extend(page.common_prefixes.iter().cloned());
        assert!(page.objects.len() + page.common_prefixes.len() <= 2);
        if !page.truncated {
            break;
        }
        after = page.next_after;
    }
    seen.sort();
    assert_eq!(seen, ["a.txt", "docs/", "music/", "z.txt"]);

    let page = lab
        .objects
        .list_objects(&bucket, &query("", None, Some("docs/2"), 3))
        .await
        .unwrap();
    let names: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(names, ["docs/sub/3", "music/x", "music/y"]);
    assert!(page.truncated);
    assert_eq!(page.next_after.as_deref(), Some("music/y"));

    let page = lab
        .objects
        .list_objects(&bucket, &query("", None, None, 0))
        .await
        .unwrap();
    assert!(page.objects.is_empty() && !page.truncated);
    let page = lab
        .objects
        .list_objects(&bucket, &query("", None, None, 7))
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 7);
    assert!(!page.truncated, "exactly max-keys left is not truncated");
}
