//! Images: domain views → [`proxicloud_types::api::images`].

use proxicloud_domain::images::{Appliance, Image, ImageKind, ImageStorage};
use proxicloud_types::api::images::{ApplianceDto, ImageDto, ImageKindDto, ImageStorageDto};

use super::IntoDto;

impl IntoDto for Image {
    type Dto = ImageDto;
    fn into_dto(self) -> ImageDto {
        ImageDto {
            id: self.id,
            kind: match self.kind {
                ImageKind::LxcTemplate => ImageKindDto::LxcTemplate,
                ImageKind::Iso => ImageKindDto::Iso,
                ImageKind::VmTemplate => ImageKindDto::VmTemplate,
            },
            name: self.name,
            volid: self.volid,
            vmid: self.vmid,
            storage: self.storage,
            nodes: self.nodes,
            size: self.size,
            os: self.os,
        }
    }
}

impl IntoDto for Appliance {
    type Dto = ApplianceDto;
    fn into_dto(self) -> ApplianceDto {
        ApplianceDto {
            template: self.template,
            package: self.package,
            version: self.version,
            os: self.os,
            section: self.section,
            headline: self.headline,
        }
    }
}

impl IntoDto for ImageStorage {
    type Dto = ImageStorageDto;
    fn into_dto(self) -> ImageStorageDto {
        ImageStorageDto {
            node: self.node,
            storage: self.storage,
            container_templates: self.templates,
            isos: self.isos,
        }
    }
}
