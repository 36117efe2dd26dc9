//! The keys of each level of the document, read from the serde types themselves, so the list that
//! validation (and the Python side) uses cannot drift from the definition.

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::{Dicom, Document, Field, FilenameItem, GroupRule, SubCase};

/// A deserializer that only records the field names a struct asks for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The keys a serde struct accepts, in declaration order.
fn keys_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// The keys known at each level of the document, by level name: `document`, `dicom`, `field`,
/// `regex-sub`, `filenames`, `group`.
#[must_use]
pub fn known_keys() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("document", keys_of::<Document>()),
        ("dicom", keys_of::<Dicom>()),
        ("field", keys_of::<Field>()),
        ("regex-sub", keys_of::<SubCase>()),
        ("filenames", keys_of::<FilenameItem>()),
        ("group", keys_of::<GroupRule>()),
    ]
}

/// The keys of one level (see [`known_keys`]).
#[must_use]
pub fn level_keys(level: &str) -> &'static [&'static str] {
    known_keys().into_iter().find(|(l, _)| *l == level).map_or(&[], |(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_serde_renames() {
        let dicom = level_keys("dicom");
        assert!(dicom.contains(&"hash-digits") && dicom.contains(&"fields") && dicom.contains(&"alter_pixels"));
        assert!(level_keys("field").contains(&"replace-with-insert"));
        assert!(level_keys("dicom").contains(&"key-file") && !level_keys("document").contains(&"key-file"));
        assert!(level_keys("nothing").is_empty());
    }
}
