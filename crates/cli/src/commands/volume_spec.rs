//! `instances launch --volume …`: one volume of a launch written as `key=value` pairs,
//! e.g. `name=data,size=20,path=/data` (a new volume) or `id=<uuid>,path=/srv` (an
//! existing one). Keys: `id`, `name`, `size` (GiB), `class`, `storage`, `path`
//! (containers), `bus` (VMs: `scsi` or `virtio`). The server checks the combination;
//! here only the syntax, so a typo fails before anything is sent.

use proxicloud_types::api::volumes::LaunchVolumeRequest;
use uuid::Uuid;

pub fn parse(spec: &str) -> Result<LaunchVolumeRequest, String> {
    let mut volume = LaunchVolumeRequest::default();
    for pair in spec.split(',').filter(|p| !p.trim().is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("'{pair}' is not key=value"))?;
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(format!("'{key}' has no value"));
        }
        let slot = match key.trim() {
            "id" => {
                let id = value
                    .parse::<Uuid>()
                    .map_err(|_| format!("id '{value}' is not a volume id"))?;
                set(&mut volume.volume_id, id, "id")?;
                continue;
            }
            "size" => {
                let gib = value
                    .parse::<u64>()
                    .map_err(|_| format!("size '{value}' is not a whole number of GiB"))?;
                set(&mut volume.size_gib, gib, "size")?;
                continue;
            }
            "name" => &mut volume.name,
            "class" => &mut volume.class,
            "storage" => &mut volume.storage,
            "path" => &mut volume.mount_path,
            "bus" => &mut volume.bus,
            other => {
                return Err(format!(
                    "unknown key '{other}' (id, name, size, class, storage, path, bus)"
                ));
            }
        };
        set(slot, value, key)?;
    }
    if volume.volume_id.is_none() && volume.name.is_none() {
        return Err("give id=<existing volume> or name=… and size=… for a new one".into());
    }
    Ok(volume)
}

fn set<T>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), String> {
    match slot.replace(value) {
        Some(_) => Err(format!("'{key}' is given twice")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_and_existing_volumes_are_read_from_their_pairs() {
        let new = parse("name=data,size=20,path=/data,class=ssd").unwrap();
        assert_eq!(new.name.as_deref(), Some("data"));
        assert_eq!(new.size_gib, Some(20));
        assert_eq!(new.mount_path.as_deref(), Some("/data"));
        assert_eq!(new.class.as_deref(), Some("ssd"));
        assert_eq!(new.volume_id, None);

        let id = Uuid::now_v7();
        let existing = parse(&format!("id={id},bus=virtio")).unwrap();
        assert_eq!(existing.volume_id, Some(id));
        assert_eq!(existing.bus.as_deref(), Some("virtio"));
    }

    #[test]
    fn typos_are_refused_with_what_is_wrong() {
        for (spec, says) in [
            ("name=data,size=big", "not a whole number"),
            ("name=data,colour=red", "unknown key 'colour'"),
            ("name=data,name=more", "given twice"),
            ("id=nope", "not a volume id"),
            ("size=4,path=/data", "give id="),
            ("name=data,path", "not key=value"),
            ("name=", "has no value"),
        ] {
            let error = parse(spec).unwrap_err();
            assert!(error.contains(says), "{spec}: {error}");
        }
    }
}
