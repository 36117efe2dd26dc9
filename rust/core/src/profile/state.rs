//! The document as the rules see it while they run: every data set level (the file meta, the top
//! data set, each sequence item) indexed once, with the rules' changes laid over it.

use std::collections::{BTreeMap, HashMap};

use super::NewValue;
use crate::dicom::{dict, Body, DataSet, Document, Element, Encoding, Tag};

/// Level id of the file meta group.
pub const META: usize = 0;
/// Level id of the top-level data set.
pub const TOP: usize = 1;

/// A 32-bit length field of a defined-length sequence or item enclosing a level; it must grow or
/// shrink with whatever changes inside.
#[derive(Clone, Copy, Debug)]
pub struct LengthField {
    /// Offset of the four length bytes.
    pub offset: u64,
    /// The length as read.
    pub original: u32,
    /// Byte order of the field.
    pub encoding: Encoding,
}

/// One data set level.
#[derive(Debug)]
pub struct Level<'a> {
    /// Its elements.
    pub ds: &'a DataSet,
    /// The level and tag of the sequence element holding this item (`None` for meta and top).
    pub parent: Option<(usize, Tag)>,
    /// Enclosing defined-length sequences and items, outermost first.
    pub containers: Vec<LengthField>,
    /// Keyword path prefix, e.g. `ReferencedStudySequence.0`; `None` where an ancestor has no keyword.
    pub keyword_path: Option<String>,
    /// Hex path prefix, e.g. `00081110.0`.
    pub hex_path: String,
}

/// What an element currently is.
#[derive(Clone, Copy, Debug)]
pub enum Current<'s> {
    /// Not there (never was, or removed).
    Absent,
    /// As in the input.
    Original(&'s Element),
    /// Set by a rule.
    Edited(&'s NewValue),
}

/// All levels of a document plus the changes made so far.
#[derive(Debug)]
pub struct State<'a> {
    /// Levels in document order: META, TOP, then items depth first.
    pub levels: Vec<Level<'a>>,
    children: HashMap<(usize, Tag), Vec<usize>>,
    /// Changes keyed by (level, tag).
    pub changes: BTreeMap<(usize, Tag), NewValue>,
    /// Items appended to existing sequences by replace-with on a path past their end.
    pub appended: Vec<super::create::Appended>,
}

impl<'a> State<'a> {
    /// Indexes every level of `doc`.
    #[must_use]
    pub fn new(doc: &'a Document) -> Self {
        let mut s = State { levels: Vec::new(), children: HashMap::new(), changes: BTreeMap::new(), appended: Vec::new() };
        s.levels.push(Level { ds: &doc.meta, parent: None, containers: Vec::new(), keyword_path: Some(String::new()), hex_path: String::new() });
        s.levels.push(Level { ds: &doc.dataset, parent: None, containers: Vec::new(), keyword_path: Some(String::new()), hex_path: String::new() });
        s.index_items(TOP);
        s
    }

    fn index_items(&mut self, level: usize) {
        let ds = self.levels[level].ds;
        for e in &ds.elements {
            let Body::Items(items) = &e.body else { continue };
            let mut ids = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let parent = &self.levels[level];
                let mut containers = parent.containers.clone();
                if let Some(len) = e.value_len {
                    containers.push(LengthField { offset: e.value_start - 4, original: len, encoding: ds.encoding });
                }
                if let Some(len) = item.len {
                    containers.push(LengthField { offset: item.start + 4, original: len, encoding: ds.encoding });
                }
                let keyword_path = match (&parent.keyword_path, dict::keyword(e.tag)) {
                    (Some(prefix), Some(kw)) => Some(join(prefix, &format!("{kw}.{i}"))),
                    _ => None,
                };
                let hex_path = join(&parent.hex_path, &format!("{:08x}.{i}", e.tag.0));
                ids.push(self.levels.len());
                self.levels.push(Level { ds: &item.dataset, parent: Some((level, e.tag)), containers, keyword_path, hex_path });
                self.index_items(self.levels.len() - 1);
            }
            self.children.insert((level, e.tag), ids);
        }
    }

    /// The current state of `tag` at `level`.
    #[must_use]
    pub fn current(&self, level: usize, tag: Tag) -> Current<'_> {
        match self.changes.get(&(level, tag)) {
            Some(NewValue::Removed) => Current::Absent,
            Some(v) => Current::Edited(v),
            None => self.levels[level].ds.find(tag).map_or(Current::Absent, Current::Original),
        }
    }

    /// Whether `tag` is present at `level` now.
    #[must_use]
    pub fn exists(&self, level: usize, tag: Tag) -> bool {
        !matches!(self.current(level, tag), Current::Absent)
    }

    /// Tags present at `level` now, in tag order.
    #[must_use]
    pub fn tags(&self, level: usize) -> Vec<Tag> {
        let mut tags: Vec<Tag> = self.levels[level].ds.elements.iter().map(|e| e.tag).filter(|&t| self.exists(level, t)).collect();
        let added = self.changes.range((level, Tag(0))..=(level, Tag(u32::MAX))).filter(|(_, v)| !matches!(v, NewValue::Removed)).map(|(&(_, t), _)| t);
        tags.extend(added.filter(|t| self.levels[level].ds.find(*t).is_none()));
        tags.sort_unstable();
        tags
    }

    /// The item levels of the sequence `tag` at `level`, if it is present and was a sequence.
    #[must_use]
    pub fn items(&self, level: usize, tag: Tag) -> &[usize] {
        if !matches!(self.current(level, tag), Current::Original(_)) {
            return &[];
        }
        self.children.get(&(level, tag)).map_or(&[], Vec::as_slice)
    }

    /// True when an enclosing sequence element has been removed, so changes here no longer matter.
    #[must_use]
    pub fn is_dead(&self, mut level: usize) -> bool {
        while let Some((parent, tag)) = self.levels[level].parent {
            if !matches!(self.current(parent, tag), Current::Original(_)) {
                return true;
            }
            level = parent;
        }
        false
    }

    /// Every live item level, depth first (top and meta excluded).
    pub fn nested_levels(&self) -> impl Iterator<Item = usize> + '_ {
        (TOP + 1..self.levels.len()).filter(|&l| !self.is_dead(l))
    }
}

fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() { rest.to_string() } else { format!("{prefix}.{rest}") }
}
