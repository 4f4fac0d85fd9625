//! ODS (OpenDocument spreadsheet, ODF 1.3) written by hand: a zip whose first entry is the
//! uncompressed `mimetype`, then the manifest and four XML parts. Written directly on the
//! zip crate that rust_xlsxwriter already brings in, rather than a full ODS library.

mod content;
mod parts;
mod xml;

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::sheet_name::sheet_name;
use crate::{ExportError, Table};

pub(crate) const MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

pub(crate) fn write(table: &Table) -> Result<Vec<u8>, ExportError> {
    let sheet = sheet_name(&table.title);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // ODF 1.3 part 2, 3.3: stored, first, no extra field, so that tools can sniff the type at offset 38.
    zip.start_file(
        "mimetype",
        SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
    )?;
    zip.write_all(MIMETYPE.as_bytes())?;
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let entries = [
        ("META-INF/manifest.xml", parts::manifest()),
        ("meta.xml", parts::meta(&table.title)),
        ("styles.xml", parts::styles()),
        ("settings.xml", parts::settings(&sheet)),
        ("content.xml", content::content(table, &sheet)?),
    ];
    for (name, xml) in entries {
        zip.start_file(name, deflated)?;
        zip.write_all(xml.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
