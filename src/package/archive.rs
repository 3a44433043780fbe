//! The `.tgz` container: a ustar stream laid out exactly like Go's `archive/tar` writes it for
//! `helm package` (so the tar bytes equal helm 4's), wrapped in a deterministic gzip layer.
//! Headers are written by hand: the format is 512 bytes of fixed fields, and owning it is
//! what guarantees the byte identity (Go's checksum and device-field formatting in particular).

use std::io::{Read, Write};

use flate2::{read::GzDecoder, Compression, GzBuilder};

const BLOCK: usize = 512;
const NAME_LEN: usize = 100;
const PREFIX_LEN: usize = 155;

/// One regular file of an archive; `path` includes the chart-name top folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub data: Vec<u8>,
}

/// The uncompressed tar stream: every entry mode 0644, uid/gid 0, no owner names, the same
/// `mtime` everywhere, no directory entries, two zero blocks at the end.
pub fn tar(entries: &[Entry], mtime: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(&e.path, e.data.len() as u64, mtime)?);
        out.extend_from_slice(&e.data);
        out.resize(out.len().next_multiple_of(BLOCK), 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

/// gzip with every header field fixed (mtime 0, OS "unknown"), so equal tar streams give equal
/// files. Go's deflate differs from miniz, so the compressed bytes never equal helm's anyway.
pub fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    enc.write_all(tar).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

fn header(path: &str, size: u64, mtime: u64) -> Result<[u8; BLOCK], String> {
    let (prefix, name) = split_path(path)?;
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    // Go fills the device numbers even for regular files.
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum counts its own field as spaces, then is written as six digits, NUL, space.
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    Ok(h)
}

/// Zero-padded octal filling all but the field's last byte, which stays NUL (Go's format).
fn octal(field: &mut [u8], value: u64) {
    let digits = format!("{value:0width$o}", width = field.len() - 1);
    field[..digits.len()].copy_from_slice(digits.as_bytes());
    field[digits.len()..].fill(0);
}

/// Split a long path into ustar's prefix and name fields at a `/`, as Go does. Paths that
/// ustar cannot hold would need PAX headers, which flowhelm does not write.
fn split_path(path: &str) -> Result<(&str, &str), String> {
    if !path.is_ascii() {
        return Err(format!(
            "`{path}`: non-ASCII file names are not supported in chart archives"
        ));
    }
    if path.len() <= NAME_LEN {
        return Ok(("", path));
    }
    let window = &path[..path.len().min(PREFIX_LEN + 1)];
    match window.rfind('/') {
        Some(i) if i > 0 && i <= PREFIX_LEN && (1..=NAME_LEN).contains(&(path.len() - i - 1)) => {
            Ok((&path[..i], &path[i + 1..]))
        }
        _ => Err(format!("`{path}`: path too long for a ustar archive (at most 155 + 100 characters split at a `/`)")),
    }
}

/// The regular files of a `.tgz` (ours or anyone's), in archive order. Understands ustar
/// prefixes and PAX `path` records, which is all chart archives use.
pub fn read_tgz(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut tar = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut tar)
        .map_err(|e| format!("not a gzip archive: {e}"))?;
    let mut entries = Vec::new();
    let mut pax_path: Option<String> = None;
    let mut at = 0;
    while at + BLOCK <= tar.len() && tar[at..at + BLOCK].iter().any(|&b| b != 0) {
        let h = &tar[at..at + BLOCK];
        let size = parse_octal(&h[124..136]).ok_or("corrupt tar header (size)")? as usize;
        let start = at + BLOCK;
        let data = tar
            .get(start..start + size)
            .ok_or("truncated tar archive")?;
        match h[156] {
            b'x' => pax_path = pax_record(data, "path"),
            b'0' | 0 => {
                let path = pax_path.take().unwrap_or_else(|| ustar_path(h));
                entries.push(Entry {
                    path,
                    data: data.to_vec(),
                });
            }
            _ => pax_path = None,
        }
        at = start + size.next_multiple_of(BLOCK);
    }
    Ok(entries)
}

fn ustar_path(h: &[u8]) -> String {
    let field =
        |b: &[u8]| String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or(b)).into_owned();
    let name = field(&h[..100]);
    let prefix = if &h[257..262] == b"ustar" {
        field(&h[345..500])
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    u64::from_str_radix(if digits.is_empty() { "0" } else { digits }, 8).ok()
}

/// A PAX extended-header value: records are `LEN KEY=VALUE\n`.
fn pax_record(data: &[u8], key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .filter_map(|l| l.split_once(' ').map(|(_, kv)| kv))
        .find_map(|kv| {
            kv.strip_prefix(key)
                .and_then(|v| v.strip_prefix('='))
                .map(str::to_owned)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_deterministic() {
        let long = format!("c/{}/{}", "d".repeat(120), "f.yaml");
        let entries = vec![
            Entry {
                path: "c/Chart.yaml".into(),
                data: b"name: c\n".to_vec(),
            },
            Entry {
                path: long.clone(),
                data: vec![b'x'; 700],
            },
        ];
        let a = gzip(&tar(&entries, 0).unwrap());
        assert_eq!(a, gzip(&tar(&entries, 0).unwrap()));
        assert_eq!(read_tgz(&a).unwrap(), entries);
    }

    #[test]
    fn header_fields_are_gos() {
        let h = header("c/Chart.yaml", 5, 0).unwrap();
        assert_eq!(&h[100..108], b"0000644\0");
        assert_eq!(&h[124..136], b"00000000005\0");
        assert_eq!(&h[329..337], b"0000000\0");
        assert_eq!(h[154], 0);
        assert_eq!(h[155], b' ');
    }

    #[test]
    fn unsplittable_paths_are_refused() {
        assert!(split_path(&"x".repeat(101)).is_err());
        assert!(split_path("c/ü").is_err());
    }
}
