//! The one error type of the core. An error names the place (byte offset, tag path) and the kind of
//! fault, never a value read from the file: values may be patient data.

use std::fmt;
use std::io;

/// What went wrong. Each kind has a stable code (see [`ErrorKind::code`]) that scripts can match on.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file does not start with a 128-byte preamble and `DICM` (PS3.10 7.1).
    NotDicom,
    /// The file ends inside a header, a value or a sequence.
    Truncated,
    /// A declared length runs past the end of the file or of its enclosing item or sequence.
    LengthPastEnd,
    /// The two VR bytes of an explicit-VR header are not a VR.
    BadVr,
    /// An undefined length (FFFFFFFFH) on an element that cannot have one (PS3.5 7.1.1).
    UndefinedLength,
    /// A sequence holds something other than items, or a delimiter stands where no container ends.
    BadItem,
    /// The file meta group is malformed (not explicit VR, wrong group length).
    BadMeta,
    /// The file meta has no Transfer Syntax UID.
    MissingTransferSyntax,
    /// The Transfer Syntax UID is not one this tool can parse.
    UnknownTransferSyntax,
    /// The deflated data set does not inflate, or inflates past the cap.
    Deflate,
    /// Sequences nest deeper than the configured cap.
    TooDeep,
    /// More elements than the configured cap.
    TooManyElements,
    /// A value the profile asked to write cannot be encoded for the element's VR.
    BadValue,
    /// The same tag twice in one data set.
    DuplicateTag,
    /// Tags not in ascending order (PS3.5 7.1).
    OutOfOrder,
    /// Bytes after the last complete top-level element (after Pixel Data, or too few for a header)
    /// that do not form a data element.
    TrailingGarbage,
    /// Reading the input or writing the output failed.
    Io,
    /// The output file system is full (or over quota): the run stops.
    DiskFull,
    /// The profile specification is not valid.
    Profile,
    /// Under the Basic Profile: the pixel data may show identifying text (BurnedInAnnotation YES,
    /// or a class where burned-in text is common without BurnedInAnnotation NO); not written.
    BurnedIn,
    /// Under the Basic Profile: a DICOMDIR, whose records copy patient data; not written.
    Dicomdir,
}

impl ErrorKind {
    /// `DiskFull` for a full disk or an exceeded quota, else `Io`.
    #[must_use]
    pub fn of_io(e: &io::Error) -> Self {
        if matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded) {
            ErrorKind::DiskFull
        } else {
            ErrorKind::Io
        }
    }

    /// The stable, machine-readable code of this kind.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotDicom => "not-dicom",
            ErrorKind::Truncated => "truncated",
            ErrorKind::LengthPastEnd => "length-past-end",
            ErrorKind::BadVr => "bad-vr",
            ErrorKind::UndefinedLength => "undefined-length",
            ErrorKind::BadItem => "bad-item",
            ErrorKind::BadMeta => "bad-meta",
            ErrorKind::MissingTransferSyntax => "missing-transfer-syntax",
            ErrorKind::UnknownTransferSyntax => "unknown-transfer-syntax",
            ErrorKind::Deflate => "deflate",
            ErrorKind::TooDeep => "too-deep",
            ErrorKind::TooManyElements => "too-many-elements",
            ErrorKind::BadValue => "bad-value",
            ErrorKind::DuplicateTag => "duplicate-tag",
            ErrorKind::OutOfOrder => "out-of-order",
            ErrorKind::TrailingGarbage => "trailing-garbage",
            ErrorKind::Io => "io",
            ErrorKind::DiskFull => "disk-full",
            ErrorKind::Profile => "profile",
            ErrorKind::BurnedIn => "burned-in",
            ErrorKind::Dicomdir => "dicomdir",
        }
    }
}

/// An error with its place: byte offset in the (inflated) input and the tag path of the element.
#[derive(Debug)]
pub struct Error {
    /// The kind of fault.
    pub kind: ErrorKind,
    /// Byte offset where the fault was found, when it concerns the input bytes.
    pub offset: Option<u64>,
    /// Tag path such as `(0008,1115)[0](0020,000E)`, empty at the top level or when unknown.
    pub tag_path: String,
    /// A fixed description of the fault; never contains a value from the file.
    pub detail: String,
}

impl Error {
    /// An error of `kind` at `offset`.
    #[must_use]
    pub fn at(kind: ErrorKind, offset: u64, detail: impl Into<String>) -> Self {
        Error { kind, offset: Some(offset), tag_path: String::new(), detail: detail.into() }
    }

    /// An error of `kind` with no byte offset.
    #[must_use]
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error { kind, offset: None, tag_path: String::new(), detail: detail.into() }
    }

    /// Prefixes the tag path with an enclosing element or item, as the error leaves each level.
    #[must_use]
    pub fn within(mut self, prefix: impl AsRef<str>) -> Self {
        self.tag_path.insert_str(0, prefix.as_ref());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.detail)?;
        if !self.tag_path.is_empty() {
            write!(f, " at {}", self.tag_path)?;
        }
        if let Some(off) = self.offset {
            write!(f, " (byte {off})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        // io::Error messages carry OS text and, for some kinds, paths given by us; never file content.
        Error::new(ErrorKind::of_io(&e), e.to_string())
    }
}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Something the core did to read a file that a person should know about (a misnamed encoding
/// corrected, tags sorted): the file was written, but not byte for byte as it came. Like errors,
/// warnings never carry a value from the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// A stable, machine-readable code such as `transfer-syntax-corrected`.
    pub code: &'static str,
    /// A fixed description of what was done.
    pub message: String,
}

impl Warning {
    /// A warning with this code and message.
    #[must_use]
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Warning { code, message: message.into() }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
