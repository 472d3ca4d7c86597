//! Stored fields, read in place. Each segment's doc-store reader (and its
//! cache of decompressed blocks) is opened once per searcher, not once per
//! search, and a document's text values are borrowed from its stored bytes
//! rather than copied into `String`s: a result page needs a few hundred bytes
//! of each body it shows, not a copy of the whole body.

use super::FirstSeen;
use crate::error::{Error, Result};
use tantivy::directory::OwnedBytes;
use tantivy::schema::Field;
use tantivy::store::StoreReader;
use tantivy::{DocAddress, Searcher};

/// The doc-store readers and first-seen columns of one searcher's segments.
pub(crate) struct Docs {
    /// The searcher generation they were opened for.
    pub(crate) generation: u64,
    /// One reader per segment, in the searcher's segment order.
    stores: Vec<StoreReader>,
    /// First-seen dates of the same segments.
    pub(crate) first_seen: FirstSeen,
}

impl Docs {
    /// Opens the readers of `searcher`'s segments, each caching up to
    /// `cache_blocks` decompressed blocks.
    pub(crate) fn open(searcher: &Searcher, cache_blocks: usize) -> Result<Docs> {
        let stores = searcher
            .segment_readers()
            .iter()
            .map(|s| s.get_store_reader(cache_blocks))
            .collect::<std::io::Result<_>>()
            .map_err(tantivy::TantivyError::from)?;
        Ok(Docs { generation: searcher.generation().generation_id(), stores, first_seen: FirstSeen::new(searcher) })
    }

    /// The stored fields of the document at `addr`.
    pub(crate) fn get(&self, addr: DocAddress) -> Result<StoredDoc> {
        let store = self
            .stores
            .get(addr.segment_ord as usize)
            .ok_or_else(|| Error::Other(format!("no segment {} in this searcher", addr.segment_ord)))?;
        Ok(StoredDoc(store.get_document_bytes(addr.doc_id)?))
    }
}

/// One document's stored fields, as Tantivy serializes them: the number of
/// values (a VInt), then for each value its field id (`u32`, little-endian),
/// a type code and, for text and bytes, its length (a VInt) and bytes. Every
/// stored field of this schema is one or the other (`index-schema/schema.toml`).
pub(crate) struct StoredDoc(OwnedBytes);

/// Tantivy's type codes for a text value and a bytes value.
const TEXT_CODE: u8 = 0;
const BYTES_CODE: u8 = 4;

impl StoredDoc {
    /// The bytes of `field`'s first value; `None` when the document has none, or
    /// its bytes are not laid out as above (a value of another type stops
    /// the walk: its length is not known without decoding it).
    pub(crate) fn bytes(&self, field: Field) -> Option<&[u8]> {
        let mut rest = self.0.as_slice();
        let values = vint(&mut rest)?;
        for _ in 0..values {
            let (id, after) = rest.split_first_chunk::<4>()?;
            let (&code, after) = after.split_first()?;
            if code != TEXT_CODE && code != BYTES_CODE {
                return None;
            }
            rest = after;
            let len = usize::try_from(vint(&mut rest)?).ok()?;
            let (value, after) = rest.split_at_checked(len)?;
            if u32::from_le_bytes(*id) == field.field_id() {
                return Some(value);
            }
            rest = after;
        }
        None
    }

    /// The text of `field`, when it has a value of valid UTF-8.
    pub(crate) fn text(&self, field: Field) -> Option<&str> {
        std::str::from_utf8(self.bytes(field)?).ok()
    }

    /// `part` (a string read from this document's bytes) as a [`Text`]
    /// sharing them; `None` when it is not within them.
    pub(crate) fn share(&self, part: &str) -> Option<Text> {
        let start = (part.as_ptr() as usize).checked_sub(self.0.as_slice().as_ptr() as usize)?;
        let end = start.checked_add(part.len()).filter(|&e| e <= self.0.len())?;
        Some(Text(self.0.slice(start..end)))
    }
}

/// A string that shares the bytes of the stored document it was read from
/// (the decompressed block the doc store caches) instead of copying them: a
/// result page's strings were 15 allocations a hit. Cloning it counts a
/// reference. It reads, compares, prints and serializes as a `str`.
#[derive(Clone)]
pub struct Text(OwnedBytes);

impl Text {
    /// The text. (Every `Text` is made from a `str`.)
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.0.as_slice()).unwrap_or_default()
    }
}

impl Default for Text {
    fn default() -> Text {
        Text(OwnedBytes::empty())
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(OwnedBytes::new(s.into_bytes()))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::from(s.to_string())
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_string()
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Text, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

/// Reads one of Tantivy's VInts (7 bits a byte, low bits first, the last
/// byte marked by its high bit) off the front of `rest`.
fn vint(rest: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for (i, &b) in rest.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 != 0 {
            *rest = &rest[i + 1..];
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STORED, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, doc};

    #[test]
    fn stored_text_reads_back_as_tantivy_wrote_it() {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let body = b.add_text_field("body", TEXT | STORED);
        let other = b.add_text_field("other", STORED);
        let unset = b.add_text_field("unset", STORED);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // Lengths that take one, two and three VInt bytes, and non-ASCII text.
        let bodies = ["", "short", &"é".repeat(100), &"word ".repeat(4000)];
        for (i, text) in bodies.iter().enumerate() {
            w.add_document(doc!(id => i.to_string(), body => *text, other => "after")).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let docs = Docs::open(&searcher, 4).unwrap();
        for (i, text) in bodies.iter().enumerate() {
            let addr = DocAddress::new(0, i as u32);
            let d = docs.get(addr).unwrap();
            assert_eq!(d.text(body), Some(*text));
            assert_eq!(d.text(id), Some(i.to_string().as_str()));
            assert_eq!(d.text(other), Some("after"));
            assert_eq!(d.text(unset), None);
            // The same as Tantivy's own reading of it.
            let theirs: TantivyDocument = searcher.doc(addr).unwrap();
            assert_eq!(theirs.get_first(body).and_then(|v| tantivy::schema::Value::as_str(&v)), Some(*text));
        }
        assert!(docs.get(DocAddress::new(1, 0)).is_err());
    }

    #[test]
    fn truncated_bytes_read_as_no_value() {
        // One text value of field 0 whose length runs past the end.
        let d = StoredDoc(OwnedBytes::new(vec![0x81, 0, 0, 0, 0, TEXT_CODE, 0x85, b'a', b'b']));
        assert_eq!(d.bytes(Field::from_field_id(0)), None);
        let d = StoredDoc(OwnedBytes::new(vec![0x81, 0, 0, 0, 0, TEXT_CODE, 0x82, b'a', b'b']));
        assert_eq!(d.bytes(Field::from_field_id(0)), Some(&b"ab"[..]));
        // A VInt that never ends.
        assert_eq!(vint(&mut &[0x01u8; 12][..]), None);
    }

    /// A string read from a document is shared, not copied; a string from
    /// anywhere else is refused.
    #[test]
    fn text_shares_the_documents_bytes() {
        let d = StoredDoc(OwnedBytes::new(vec![0x81, 0, 0, 0, 0, TEXT_CODE, 0x83, b'a', b'b', b'c']));
        let abc = d.text(Field::from_field_id(0)).unwrap_or_default();
        let t = d.share(&abc[1..]).unwrap_or_default();
        assert_eq!((t.as_str(), t.as_ptr()), ("bc", abc[1..].as_ptr()));
        assert_eq!(t, "bc");
        assert_eq!(d.share("bc"), None);
        assert_eq!(serde_json::to_string(&t).ok().as_deref(), Some("\"bc\""));
        assert_eq!(serde_json::from_str::<Text>("\"bc\"").ok(), Some(t));
    }
}
