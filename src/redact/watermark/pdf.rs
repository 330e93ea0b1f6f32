//! PDF: the trace as an entry of the document information dictionary,
//! written as an incremental update.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{text_string, Dictionary, Document, IncrementalDocument, Object};

use super::TRACE_PROPERTY;
use crate::extract::ExtractError;

/// The trace as an entry of the information dictionary, appended as an
/// incremental update (ISO 32000-1, 7.5.6). An encrypted PDF is left as
/// it is: its dictionary cannot be updated without the password.
pub(super) fn information_entry(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    let unreadable = |e: lopdf::Error| ExtractError::malformed(format!("PDF: {e}"));
    let updated = catch_unwind(AssertUnwindSafe(
        || -> Result<Option<Vec<u8>>, ExtractError> {
            let previous = Document::load_mem(bytes).map_err(unreadable)?;
            if previous.is_encrypted() {
                return Ok(None);
            }
            let info = previous.trailer.get(b"Info").ok().cloned();
            let mut doc = IncrementalDocument::create_from(bytes.clone(), previous);
            let entry = |dict: &mut Dictionary| dict.set(TRACE_PROPERTY, text_string(trace));
            match info {
                Some(Object::Reference(id)) => {
                    doc.opt_clone_object_to_new_document(id)
                        .map_err(unreadable)?;
                    let object = doc.new_document.get_object_mut(id).map_err(unreadable)?;
                    entry(object.as_dict_mut().map_err(unreadable)?);
                }
                Some(Object::Dictionary(mut dict)) => {
                    entry(&mut dict);
                    doc.new_document.trailer.set("Info", dict);
                }
                _ => {
                    let mut dict = Dictionary::new();
                    entry(&mut dict);
                    let id = doc.new_document.add_object(dict);
                    doc.new_document.trailer.set("Info", id);
                }
            }
            let mut out = Vec::with_capacity(bytes.len() + 1024);
            doc.save_to(&mut out)
                .map_err(|e| ExtractError::malformed(format!("PDF: {e}")))?;
            Ok(Some(out))
        },
    ))
    .unwrap_or_else(|_| {
        Err(ExtractError::malformed(
            "the PDF writer failed on this file",
        ))
    })?;
    match updated {
        Some(out) => {
            *bytes = out;
            Ok(true)
        }
        None => Ok(false),
    }
}
