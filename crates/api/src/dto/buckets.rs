//! Buckets and objects: domain views → [`proxicloud_types::api::buckets`].

use proxicloud_domain::buckets::{BucketSummary, DeleteResult, ObjectInfo, ObjectPage};
use proxicloud_store::MultipartUpload;
use proxicloud_types::api::buckets::{
    BucketDto, DeleteObjectResultDto, ObjectDto, ObjectListDto, ObjectMetadataDto, UploadDto,
};

use super::IntoDto;

impl IntoDto for BucketSummary {
    type Dto = BucketDto;
    fn into_dto(self) -> BucketDto {
        BucketDto {
            name: self.bucket.name,
            owner_id: self.bucket.owner_id,
            created_at: self.bucket.created_at,
            size_bytes: self.usage.bytes,
            object_count: self.usage.objects,
        }
    }
}

impl IntoDto for ObjectInfo {
    type Dto = ObjectDto;
    fn into_dto(self) -> ObjectDto {
        ObjectDto {
            key: self.key,
            size: self.size,
            etag: self.etag,
            last_modified: self.modified_at,
            content_type: self.headers.content_type,
        }
    }
}

/// The folder view of `prefix`.
pub fn object_list(prefix: String, page: ObjectPage) -> ObjectListDto {
    ObjectListDto {
        prefix,
        common_prefixes: page.common_prefixes,
        objects: page.objects.into_dto(),
        next_cursor: page.next_cursor,
    }
}

pub fn metadata(info: ObjectInfo) -> ObjectMetadataDto {
    let headers = info.headers;
    ObjectMetadataDto {
        key: info.key,
        size: info.size,
        etag: info.etag,
        last_modified: info.modified_at,
        content_type: headers.content_type,
        content_encoding: headers.content_encoding,
        content_disposition: headers.content_disposition,
        content_language: headers.content_language,
        cache_control: headers.cache_control,
        expires: headers.expires,
        metadata: headers.metadata,
    }
}

impl IntoDto for DeleteResult {
    type Dto = DeleteObjectResultDto;
    fn into_dto(self) -> DeleteObjectResultDto {
        DeleteObjectResultDto {
            key: self.key,
            deleted: self.deleted,
            error: self.error,
        }
    }
}

impl IntoDto for MultipartUpload {
    type Dto = UploadDto;
    fn into_dto(self) -> UploadDto {
        UploadDto {
            upload_id: self.id,
            key: self.key,
            initiated_at: self.initiated_at,
        }
    }
}
