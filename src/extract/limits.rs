//! Resource limits that keep a hostile or accidental upload (zip bombs,
//! million-row sheets, one-line megabyte blobs) from exhausting the service.

/// Upper bounds applied while extracting; exceeding one is `ExtractError::TooLarge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the submitted file itself; `None` = no limit (CLI).
    pub max_file_bytes: Option<u64>,
    /// Entries in an XLSX/DOCX zip package.
    pub max_zip_members: usize,
    /// Decompressed bytes of a zip package: both the sizes its headers
    /// declare and the bytes actually inflated are held to this.
    pub max_decompressed_bytes: u64,
    /// Rows of a CSV file or of all sheets of a workbook together.
    pub max_rows: usize,
    /// Cells of a CSV file or of all sheets of a workbook together.
    pub max_cells: usize,
    /// Longest line of a text or CSV file, in UTF-8 bytes after decoding.
    pub max_line_bytes: usize,
    /// Pages of an OFD or PDF file.
    pub max_pages: usize,
    /// Text of a workbook's shared strings held in memory while its
    /// sheets are streamed; past it the table spills to a scratch file.
    /// A bound on memory, not on the file: nothing is refused for it.
    pub shared_strings_in_memory: usize,
}

/// Default for [`Limits::shared_strings_in_memory`].
const SHARED_STRINGS_IN_MEMORY: usize = 8 << 20;

impl Limits {
    /// Limits for uploads to the service.
    pub fn service_default() -> Self {
        Self {
            max_file_bytes: Some(50 * 1000 * 1000),
            max_zip_members: 10_000,
            max_decompressed_bytes: 500 * 1000 * 1000,
            max_rows: 1_000_000,
            max_cells: 5_000_000,
            max_line_bytes: 1024 * 1024,
            max_pages: 10_000,
            shared_strings_in_memory: SHARED_STRINGS_IN_MEMORY,
        }
    }

    /// No limits: for `releasegate scan` on the operator's own files.
    pub fn unlimited() -> Self {
        Self {
            max_file_bytes: None,
            max_zip_members: usize::MAX,
            max_decompressed_bytes: u64::MAX,
            max_rows: usize::MAX,
            max_cells: usize::MAX,
            max_line_bytes: usize::MAX,
            max_pages: usize::MAX,
            shared_strings_in_memory: SHARED_STRINGS_IN_MEMORY,
        }
    }
}
