//! A 100 MiB object through multipart upload: generated part by part (one part in
//! memory at a time), its ETag checked as S3 computes it (MD5 of the parts' MD5s,
//! `-N`), read back streamed and hashed, never whole in memory.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use md5::{Digest, Md5};

use crate::support::Lab;

const MIB: usize = 1024 * 1024;
const PART: usize = 10 * MIB;
const PARTS: usize = 10;

/// Part `n`'s bytes: a xorshift stream seeded by `n`, so any part can be made again
/// to check a range without keeping it.
fn part_bytes(n: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (n as u64 + 1);
    let mut out = Vec::with_capacity(PART);
    while out.len() < PART {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out
}

#[tokio::test]
async fn a_100_mib_object_uploads_in_parts_and_reads_back_identical() {
    let lab = Lab::new().await;
    lab.bucket("large").await;
    let upload = lab
        .alice
        .create_multipart_upload()
        .bucket("large")
        .key("100mib.bin")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut whole = Md5::new();
    let mut part_md5s = Md5::new();
    let mut completed = Vec::new();
    for n in 0..PARTS {
        let bytes = part_bytes(n);
        whole.update(&bytes);
        let md5 = Md5::digest(&bytes);
        part_md5s.update(md5);
        let number = i32::try_from(n + 1).unwrap();
        let uploaded = lab
            .alice
            .upload_part()
            .bucket("large")
            .key("100mib.bin")
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap();
        let etag = uploaded.e_tag().unwrap().to_owned();
        assert_eq!(etag, format!("\"{}\"", hex::encode(md5)));
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(etag)
                .build(),
        );
    }
    let done = lab
        .alice
        .complete_multipart_upload()
        .bucket("large")
        .key("100mib.bin")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let expected_etag = format!("\"{}-{PARTS}\"", hex::encode(part_md5s.finalize()));
    assert_eq!(done.e_tag(), Some(expected_etag.as_str()));

    let mut got = lab
        .alice
        .get_object()
        .bucket("large")
        .key("100mib.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some((PART * PARTS) as i64));
    assert_eq!(got.e_tag(), Some(expected_etag.as_str()));
    let (mut read, mut hash) = (0usize, Md5::new());
    while let Some(chunk) = got.body.next().await {
        let chunk = chunk.unwrap();
        read += chunk.len();
        hash.update(&chunk);
    }
    assert_eq!(read, PART * PARTS);
    assert_eq!(hash.finalize(), whole.finalize());

    // A range across the boundary of parts 3 and 4 is the generator's bytes there.
    let (first, last) = (3 * PART - 10, 3 * PART + 9);
    let ranged = lab
        .alice
        .get_object()
        .bucket("large")
        .key("100mib.bin")
        .range(format!("bytes={first}-{last}"))
        .send()
        .await
        .unwrap();
    let bytes = ranged.body.collect().await.unwrap().to_vec();
    let mut expected = part_bytes(2)[PART - 10..].to_vec();
    expected.extend_from_slice(&part_bytes(3)[..10]);
    assert_eq!(bytes, expected);
}
