//! Size presets, the console's instance types (UI guide: nano … large).

use super::options::SizePreset;

const PRESETS: [(&str, u32, u64, u64); 4] = [
    ("nano", 1, 512, 4),
    ("small", 1, 1024, 8),
    ("medium", 2, 2048, 16),
    ("large", 4, 4096, 32),
];

/// The presets, smallest first.
pub fn size_presets() -> Vec<SizePreset> {
    PRESETS
        .iter()
        .map(|&(name, cores, memory_mib, disk_gib)| SizePreset {
            name: name.to_owned(),
            cores,
            memory_mib,
            disk_gib,
        })
        .collect()
}
