//! The document as the rule engines see it while they run: every data set level (the file meta,
//! the top data set, each sequence item) indexed once, with the changes made so far laid over it.
//! The profile's rule engine ([`crate::engine`]) and the Basic Profile ([`crate::basic`]) both edit
//! it, and the rewriter turns it into byte splices; it depends on neither.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::dicom::{Body, DataSet, Document, Element, Encoding, Tag, Vr};

/// The new state of one element.
#[derive(Clone, Debug, PartialEq)]
pub enum NewValue {
    /// Deleted.
    Removed,
    /// Set to these (even-length, encoded) value bytes with this VR.
    Set(Vr, Vec<u8>),
}

/// Items appended to an existing sequence: (level of the sequence element, its tag, item bytes).
pub type Appended = (usize, Tag, Vec<u8>);

/// A place a rule acts on. `creator` is set when a private element must be inserted into a new
/// block, whose creator element has to be written first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// Level id in the [`State`].
    pub level: usize,
    /// Element tag at that level.
    pub tag: Tag,
    /// Creator element (tag, creator text) to insert along with this place.
    pub creator: Option<(Tag, String)>,
    /// The keyword or hex path a regex matched, for the log.
    pub label: Option<String>,
}

impl Place {
    /// The element `tag` at `level`.
    #[must_use]
    pub fn at(level: usize, tag: Tag) -> Self {
        Place { level, tag, creator: None, label: None }
    }
}

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
    /// The level and tag of the sequence element holding this item, and the item's index in it
    /// (`None` for meta and top).
    pub parent: Option<(usize, Tag, usize)>,
    /// Length fields of the sequence and the item directly enclosing this level, where defined.
    /// Outer ones are found through `parent` (see [`State::containers`]), so indexing a file costs
    /// the same whatever its nesting.
    own_lengths: [Option<LengthField>; 2],
    /// An item created by replace-with on a path past a sequence's end: not in the input, all its
    /// elements are in [`State::changes`].
    pub created: bool,
}

/// The (empty) original content of a created item, one per encoding.
static NO_ELEMENTS: [DataSet; 3] = [
    DataSet { encoding: Encoding::IMPLICIT_LE, start: 0, end: 0, elements: Vec::new() },
    DataSet { encoding: Encoding::EXPLICIT_LE, start: 0, end: 0, elements: Vec::new() },
    DataSet { encoding: Encoding::EXPLICIT_BE, start: 0, end: 0, elements: Vec::new() },
];

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
    /// Sequences holding created items: existing ones extended, or new ones.
    pub created_sequences: BTreeSet<(usize, Tag)>,
    /// Encoded items appended to existing sequences, made from the created items once the rules ran.
    pub appended: Vec<Appended>,
}

impl<'a> State<'a> {
    /// Indexes every level of `doc`.
    #[must_use]
    pub fn new(doc: &'a Document) -> Self {
        let mut s = State {
            levels: Vec::new(),
            children: HashMap::new(),
            changes: BTreeMap::new(),
            created_sequences: BTreeSet::new(),
            appended: Vec::new(),
        };
        s.levels.push(Level { ds: &doc.meta, parent: None, own_lengths: [None; 2], created: false });
        s.levels.push(Level { ds: &doc.dataset, parent: None, own_lengths: [None; 2], created: false });
        s.index_items(TOP);
        s
    }

    fn index_items(&mut self, level: usize) {
        let ds = self.levels[level].ds;
        for e in &ds.elements {
            let Body::Items(items) = &e.body else { continue };
            let mut ids = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let sequence_length = e.value_len.map(|len| LengthField {
                    offset: e.value_start - 4,
                    original: len,
                    encoding: ds.encoding,
                });
                let item_length =
                    item.len.map(|len| LengthField { offset: item.start + 4, original: len, encoding: ds.encoding });
                ids.push(self.levels.len());
                self.levels.push(Level {
                    ds: &item.dataset,
                    parent: Some((level, e.tag, i)),
                    own_lengths: [sequence_length, item_length],
                    created: false,
                });
                self.index_items(self.levels.len() - 1);
            }
            self.children.insert((level, e.tag), ids);
        }
    }

    /// Every defined-length sequence and item enclosing `level`, innermost first.
    pub fn containers(&self, mut level: usize) -> impl Iterator<Item = LengthField> + '_ {
        std::iter::from_fn(move || {
            let lv = &self.levels[level];
            let (parent, _, _) = lv.parent?;
            level = parent;
            Some(lv.own_lengths)
        })
        .flatten()
        .flatten()
    }

    /// The lower-case hex path of `level`, e.g. `00081110.0` (empty for meta and top). Built only
    /// when a log or a label needs it.
    #[must_use]
    pub fn hex_path(&self, level: usize) -> String {
        let Some((parent, tag, index)) = self.levels[level].parent else { return String::new() };
        let prefix = self.hex_path(parent);
        let step = format!("{:08x}.{index}", tag.0);
        if prefix.is_empty() {
            step
        } else {
            format!("{prefix}.{step}")
        }
    }

    /// The tag path of `place` as errors show it: the hex path of its level, then its tag.
    #[must_use]
    pub fn tag_path(&self, place: &Place) -> String {
        let prefix = self.hex_path(place.level);
        if prefix.is_empty() {
            place.tag.to_string()
        } else {
            format!("{prefix}.{}", place.tag)
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
        let mut tags: Vec<Tag> =
            self.levels[level].ds.elements.iter().map(|e| e.tag).filter(|&t| self.exists(level, t)).collect();
        let added = self
            .changes
            .range((level, Tag(0))..=(level, Tag(u32::MAX)))
            .filter(|(_, v)| !matches!(v, NewValue::Removed))
            .map(|(&(_, t), _)| t);
        tags.extend(added.filter(|t| self.levels[level].ds.find(*t).is_none()));
        tags.sort_unstable();
        tags
    }

    /// The item levels of the sequence `tag` at `level`, if it is present and a sequence.
    #[must_use]
    pub fn items(&self, level: usize, tag: Tag) -> &[usize] {
        if !self.is_live_sequence(level, tag) {
            return &[];
        }
        self.children.get(&(level, tag)).map_or(&[], Vec::as_slice)
    }

    /// Whether `tag` at `level` is a sequence whose items still count: one from the input that no
    /// rule replaced or removed, or one made to hold created items.
    #[must_use]
    pub fn is_live_sequence(&self, level: usize, tag: Tag) -> bool {
        match self.current(level, tag) {
            Current::Original(_) => true,
            Current::Edited(NewValue::Set(Vr::SQ, _)) => self.created_sequences.contains(&(level, tag)),
            _ => false,
        }
    }

    /// Adds an empty created item at the end of the sequence `tag` at `level`; returns its level.
    pub fn add_item(&mut self, level: usize, tag: Tag) -> usize {
        let ds = match self.levels[level].ds.encoding {
            Encoding::IMPLICIT_LE => &NO_ELEMENTS[0],
            Encoding::EXPLICIT_BE => &NO_ELEMENTS[2],
            _ => &NO_ELEMENTS[1],
        };
        let ids = self.children.entry((level, tag)).or_default();
        let item = self.levels.len();
        self.levels.push(Level { ds, parent: Some((level, tag, ids.len())), own_lengths: [None; 2], created: true });
        ids.push(item);
        self.created_sequences.insert((level, tag));
        item
    }

    /// Forgets the items of the sequence `tag` at `level` (a new sequence replaces it).
    pub fn clear_items(&mut self, level: usize, tag: Tag) {
        self.children.remove(&(level, tag));
    }

    /// True when an enclosing sequence element has been removed, so changes here no longer matter.
    #[must_use]
    pub fn is_dead(&self, mut level: usize) -> bool {
        while let Some((parent, tag, _)) = self.levels[level].parent {
            if !self.is_live_sequence(parent, tag) {
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
