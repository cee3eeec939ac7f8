use crate::support::{Lab, failure};

async fn tree(lab: &Lab) {
    lab.bucket("tree").await;
    for key in [
        "a.txt",
        "docs/1",
        "docs/2",
        "docs/sub/3",
        "music/x y+z",
        "z.txt",
    ] {
        lab.put("tree", key, key.as_bytes()).await;
    }
}

#[tokio::test]
async fn v2_lists_with_prefixes_delimiters_and_continuation() {
    let lab = Lab::new().await;
    tree(&lab).await;
    let top = lab
        .alice
        .list_objects_v2()
        .bucket("tree")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = top.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["a.txt", "z.txt"]);
    assert_eq!(prefixes, ["docs/", "music/"]);
    assert_eq!(top.key_count(), Some(4));
    assert_eq!(top.is_truncated(), Some(false));
    assert_eq!(top.contents()[0].size(), Some(5));

    let docs = lab
        .alice
        .list_objects_v2()
        .bucket("tree")
        .prefix("docs/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = docs.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = docs
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["docs/1", "docs/2"]);
    assert_eq!(prefixes, ["docs/sub/"]);

    // Two keys a page through the SDK's paginator: every key once, in order.
    let mut pages = lab
        .alice
        .list_objects_v2()
        .bucket("tree")
        .max_keys(2)
        .into_paginator()
        .send();
    let mut all = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        count += 1;
        all.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    assert_eq!(count, 3);
    assert_eq!(
        all,
        [
            "a.txt",
            "docs/1",
            "docs/2",
            "docs/sub/3",
            "music/x y+z",
            "z.txt"
        ]
    );

    let after = lab
        .alice
        .list_objects_v2()
        .bucket("tree")
        .start_after("docs/sub/3")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = after.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["music/x y+z", "z.txt"]);

    let encoded = lab
        .alice
        .list_objects_v2()
        .bucket("tree")
        .prefix("music/")
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = encoded.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["music/x%20y%2Bz"], "url-encoded, '/' kept");

    let bad = lab
        .alice
        .list_objects_v2()
        .bucket("tree")
        .continuation_token("zz")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(bad), (400, "InvalidArgument".into()));
}

#[tokio::test]
async fn v1_lists_with_markers() {
    let lab = Lab::new().await;
    tree(&lab).await;
    let first = lab
        .alice
        .list_objects()
        .bucket("tree")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = first.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a.txt", "docs/1", "docs/2"]);
    assert_eq!(first.is_truncated(), Some(true));
    let next = lab
        .alice
        .list_objects()
        .bucket("tree")
        .marker("docs/2")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = next.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["docs/sub/3", "music/x y+z", "z.txt"]);
    assert_eq!(next.is_truncated(), Some(false));

    let grouped = lab
        .alice
        .list_objects()
        .bucket("tree")
        .delimiter("/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    assert_eq!(grouped.next_marker(), Some("docs/"));
    let rest = lab
        .alice
        .list_objects()
        .bucket("tree")
        .delimiter("/")
        .marker("docs/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = rest.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = rest
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(
        prefixes,
        ["music/"],
        "nothing under the marker's prefix again"
    );
    assert_eq!(keys, ["z.txt"]);
}
