//! The pure parts tested directly, without a database: extraction of every
//! format, redaction, the detectors and their accuracy on the labelled set.
//! One binary, one module per area.

mod alloc;
mod files;
#[path = "../support/legacy.rs"]
mod legacy;
#[path = "../support/odf.rs"]
mod odf;
#[path = "../support/ofd.rs"]
mod ofd;
#[path = "../support/pdf.rs"]
mod pdf;

mod accuracy;
mod extract_docx;
mod extract_legacy;
mod extract_limits;
mod extract_no_panic;
mod extract_odf;
mod extract_ofd;
mod extract_package_parts;
mod extract_pdf;
mod extract_text_formats;
mod extract_xlsx;
mod inspect_large_text;
mod inspect_large_workbook;
mod render_large_csv;
mod scan_detectors;
mod scan_evasion;
mod scan_packs;
mod scan_realistic;
mod scan_robustness;
